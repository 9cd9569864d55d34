"""Reads for a teacher's own pages: their week and term, one meeting's roster, proposed classes, hours taught.

Every read starts from the teacher: a session or proposal of another teacher is simply not in the queryset,
which the pages and the API answer with 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.utils import timezone

from teachers.models import Teacher

from .dispatch.enums import ProposedClassStatus
from .enums import RegistrationStatus, SessionStatus
from .models import Course, ProposedClass, Session, Term, held_q


def teacher_sessions(*, teacher: Teacher) -> QuerySet[Session]:
    """Every meeting of the teacher's classes, with what a list of them shows (one query)."""
    return (
        Session.objects.filter(course__teacher=teacher)
        .select_related("course", "course__community", "course__term", "venue", "policy_talk__department")
        .annotate(
            present=Count("attendances", filter=Q(attendances__attended=True), distinct=True),
        )
        .order_by("starts_at", "id")
    )


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 (local time) of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()), zone)
    return start, start + timedelta(days=7)


def teacher_week(*, teacher: Teacher, day: date | None = None) -> QuerySet[Session]:
    start, end = week_bounds(day or timezone.localdate())
    return teacher_sessions(teacher=teacher).filter(starts_at__gte=start, starts_at__lt=end)


def teacher_terms(*, teacher: Teacher) -> QuerySet[Term]:
    return Term.objects.filter(courses__teacher=teacher).distinct().order_by("-starts_on")


def teacher_term_courses(*, teacher: Teacher, term: Term | None) -> QuerySet[Course]:
    """The teacher's classes of a term (or without one), each with its meetings counted."""
    courses = Course.objects.filter(teacher=teacher)
    courses = courses.filter(term=term) if term is not None else courses
    return (
        courses.select_related("venue", "slot", "community", "term")
        .annotate(
            meetings=Count("sessions", filter=~Q(sessions__status=SessionStatus.CANCELLED), distinct=True),
            waiting=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED), distinct=True
            ),
        )
        .order_by("slot__weekday", "slot__start", "title", "id")
    )


def teacher_session(*, teacher: Teacher, pk: int) -> Session:
    """One meeting of the teacher's (Session.DoesNotExist for anyone else's)."""
    return teacher_sessions(teacher=teacher).get(pk=pk)


def waiting_list_length(*, course_id: int) -> int:
    from .models import Registration

    return Registration.objects.filter(course_id=course_id, status=RegistrationStatus.WAITLISTED).count()


def teacher_proposals(*, teacher: Teacher) -> QuerySet[ProposedClass]:
    """Classes the matching service proposed to the teacher: those awaiting an answer first, then answered ones."""
    return (
        ProposedClass.objects.filter(teacher=teacher)
        .select_related("category", "venue", "slot", "term", "community")
        .order_by(
            # Those still open to an answer before the others, newest first.
            Case(When(status=ProposedClassStatus.PROPOSED, then=0), default=1, output_field=IntegerField()),
            "-id",
        )
    )


def teacher_open_proposal(*, teacher: Teacher, pk: int) -> ProposedClass:
    return teacher_proposals(teacher=teacher).get(pk=pk, status=ProposedClassStatus.PROPOSED)


@dataclass(frozen=True)
class TermHours:
    term: str
    sessions: int
    hours: float


@dataclass(frozen=True)
class VolunteerHours:
    sessions: int
    hours: float
    by_term: list[TermHours]


def teacher_hours(*, teacher: Teacher, now=None) -> VolunteerHours:
    """Sessions the teacher taught (held: the `held_q` rule) and their hours, in all and per term; one query."""
    now = now or timezone.now()
    length = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    rows = list(
        Session.objects.filter(held_q(now=now), course__teacher=teacher)
        .values("course__term__name")
        .annotate(sessions=Count("id"), duration=Sum(length))
        .order_by("course__term__name")
    )
    by_term = [
        TermHours(
            term=row["course__term__name"] or "",
            sessions=row["sessions"],
            hours=round((row["duration"] or timedelta()).total_seconds() / 3600, 1),
        )
        for row in rows
    ]
    return VolunteerHours(
        sessions=sum(t.sessions for t in by_term),
        hours=round(sum(t.hours for t in by_term), 1),
        by_term=by_term,
    )
