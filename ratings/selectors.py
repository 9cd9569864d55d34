"""Reads about ratings: a teacher's average, and the sessions a resident still owes feedback on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Exists, OuterRef, QuerySet
from django.utils import timezone

from activities.models import Attendance, Session, held_q

from . import scores
from .models import SessionRating
from .services import EDIT_WINDOW

# Below this many ratings an average says more about one resident's mood than about the teacher: the one
# minimum, `scores.MIN_RATINGS`, kept under its old name for the pages that import it.
MIN_RATINGS_SHOWN = scores.MIN_RATINGS
# Sessions older than this no longer appear in "awaiting my feedback" (the feedback page still works).
PENDING_FEEDBACK_DAYS = 30


@dataclass(frozen=True)
class TeacherRating:
    """A teacher's rating as residents see it: the recency-weighted mean of `ratings.scores`, shown only
    from the minimum count (the same score as the admin's teacher pool and the star rating)."""

    mean: float | None
    count: int

    @property
    def shown(self) -> bool:
        return self.mean is not None and self.count >= MIN_RATINGS_SHOWN


def teacher_rating(*, teacher_id: int | None, now=None) -> TeacherRating:
    """The teacher's score (`scores.teacher_scores`): one indexed aggregate (ratings carry the teacher)."""
    if teacher_id is None:
        return TeacherRating(mean=None, count=0)
    score = scores.teacher_scores(teacher_ids=[teacher_id], now=now).get(teacher_id, scores.NO_SCORE)
    return TeacherRating(mean=score.weighted_mean, count=score.count)


def attended_sessions(*, user) -> QuerySet[Session]:
    attended = Attendance.objects.filter(session=OuterRef("pk"), resident=user, attended=True)
    return Session.objects.filter(Exists(attended))


def sessions_awaiting_feedback(*, user, now=None) -> QuerySet[Session]:
    """Sessions the resident attended in the last month and has not rated yet, latest first."""
    now = now or timezone.now()
    rated = SessionRating.objects.filter(session=OuterRef("pk"), resident=user)
    return (
        attended_sessions(user=user)
        .filter(held_q(now=now), ends_at__gte=now - timedelta(days=PENDING_FEEDBACK_DAYS))
        .exclude(Exists(rated))
        .select_related("course", "course__teacher", "course__venue", "venue")
        .order_by("-starts_at", "-id")
    )


def editable_ratings(*, user, now=None) -> QuerySet[SessionRating]:
    """The resident's ratings that can still be changed (the seven-day window), latest first."""
    now = now or timezone.now()
    return (
        SessionRating.objects.filter(resident=user, created__gte=now - EDIT_WINDOW)
        .select_related("session", "session__course")
        .order_by("-created", "-id")
    )


def feedback_session(*, pk: int) -> Session:
    """A session as the feedback page shows it (DoesNotExist when there is none)."""
    return Session.objects.select_related("course", "course__teacher", "course__venue", "venue").get(pk=pk)


def liked_interests(*, user) -> dict[int, float]:
    """The resident's mean stars per interest of the classes they rated: {category id: mean}. One query."""
    return dict(
        SessionRating.objects.filter(resident=user)
        .values("session__course__category_id")
        .annotate(mean=Avg("stars"))
        .values_list("session__course__category_id", "mean")
    )
