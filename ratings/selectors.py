"""Reads about ratings: a teacher's average, and the sessions a resident still owes feedback on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from activities.models import Attendance, Session, held_q

from .models import SessionRating
from .services import EDIT_WINDOW

# Below this many ratings an average says more about one resident's mood than about the teacher.
MIN_RATINGS_SHOWN = 3
# Sessions older than this no longer appear in "awaiting my feedback" (the feedback page still works).
PENDING_FEEDBACK_DAYS = 30


@dataclass(frozen=True)
class TeacherRating:
    mean: float | None
    count: int

    @property
    def shown(self) -> bool:
        return self.mean is not None and self.count >= MIN_RATINGS_SHOWN


def teacher_rating(*, teacher_id: int | None) -> TeacherRating:
    """The visible ratings of a teacher, averaged: one indexed aggregate (ratings carry the teacher)."""
    if teacher_id is None:
        return TeacherRating(mean=None, count=0)
    row = SessionRating.objects.filter(teacher_id=teacher_id, is_hidden=False).aggregate(mean=Avg("stars"), count=Count("id"))
    return TeacherRating(mean=row["mean"], count=row["count"])


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
