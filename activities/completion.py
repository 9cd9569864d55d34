"""Term completion: when a term has ended, its residents and teachers get their certificates.

`lifecycle_advance` (the beat task) enqueues `activities.tasks.issue_term_certificates` for each ended term
not done yet; `term_certificates_issue` does the work and marks the term done. Everything goes through
`certificate_issue`, idempotent per holder and subject, so a task run twice (or a term re-opened and ended
again) issues nothing twice; each new certificate tells its holder through the `certificate_issued` signal.

- A resident gets a course completion certificate for each class of the term whose held meetings they
  attended at least CERTIFICATE_MIN_ATTENDANCE of (80 %: 4 of 5 meetings qualifies, 3 of 5 does not).
- A teacher with an account gets one teaching hours certificate for the term: the meetings they held and
  their hours. A teacher without an account (staff keep their record) gets none: there is no one to hold it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User

from .certificates import certificate_issue
from .enums import CertificateKind, CourseStatus, TermStatus
from .models import Attendance, Course, Session, Term, held_q


def required_attendance(held: int) -> int:
    """The fewest meetings of `held` a resident must attend for a completion certificate (exact decimal:
    80 % of 15 is 12, never 12.000000000000002)."""
    share = Decimal(str(settings.CERTIFICATE_MIN_ATTENDANCE))
    return int((share * held).to_integral_value(rounding=ROUND_CEILING))


def _hours(duration: timedelta | None) -> Decimal:
    seconds = Decimal(int(duration.total_seconds())) if duration else Decimal(0)
    return (seconds / 3600).quantize(Decimal("0.1"))


def _length(prefix: str = "") -> ExpressionWrapper:
    return ExpressionWrapper(F(f"{prefix}ends_at") - F(f"{prefix}starts_at"), output_field=DurationField())


def _college_name(course: Course) -> str:
    college = getattr(course.community, "college", None)
    return college.name if college is not None else course.community.name


@dataclass(frozen=True)
class TermOutcome:
    course_certificates: int
    teacher_certificates: int


def terms_awaiting_certificates() -> list[int]:
    """Ended terms whose certificates have not been issued yet."""
    return list(
        Term.objects.filter(status=TermStatus.ENDED, certificates_issued_at__isnull=True).values_list(
            "pk", flat=True
        )
    )


def term_certificates_issue(*, term_id: int) -> TermOutcome:
    """Issue the completion and teaching certificates of an ended term; a term not ended is left alone.

    Queries: the term, the classes with their held meetings (1), attendance per class and resident (1), the
    holders (1), then a few per certificate; each class in its own transaction.
    """
    term = Term.objects.filter(pk=term_id).first()
    if term is None or term.status != TermStatus.ENDED:
        return TermOutcome(0, 0)
    now = timezone.now()
    courses = {
        course.pk: course
        for course in Course.objects.filter(term=term)
        .exclude(status=CourseStatus.CANCELLED)
        .select_related("community__college", "teacher", "category")
        .annotate(held=Count("sessions", filter=held_q("sessions__", now=now)))
        .filter(held__gt=0)
    }
    attended = defaultdict(dict)  # course id -> resident id -> (meetings attended, their duration)
    rows = (
        Attendance.objects.filter(
            held_q("session__", now=now), session__course_id__in=list(courses), attended=True
        )
        .values("session__course_id", "resident_id")
        .annotate(meetings=Count("id"), duration=Sum(_length("session__")))
    )
    for row in rows:
        attended[row["session__course_id"]][row["resident_id"]] = (row["meetings"], row["duration"])
    qualified = {
        course_id: [
            rid
            for rid, (meetings, _d) in by_resident.items()
            if meetings >= required_attendance(courses[course_id].held)
        ]
        for course_id, by_resident in attended.items()
    }
    holders = User.objects.in_bulk([rid for ids in qualified.values() for rid in ids])
    issued = 0
    for course_id, resident_ids in qualified.items():
        course = courses[course_id]
        with transaction.atomic():
            for resident_id in resident_ids:
                _issue_completion(
                    course=course,
                    term=term,
                    holder=holders[resident_id],
                    duration=attended[course_id][resident_id][1],
                )
                issued += 1
    taught = _teacher_certificates(term=term, courses=list(courses.values()), now=now)
    Term.objects.filter(pk=term.pk, certificates_issued_at__isnull=True).update(certificates_issued_at=now)
    return TermOutcome(issued, taught)


def _issue_completion(*, course: Course, term: Term, holder: User, duration):
    with translation.override(holder.language or settings.LANGUAGE_CODE):
        title = _("Certificate of completion")
    return certificate_issue(
        kind=CertificateKind.COURSE_COMPLETION,
        holder=holder,
        subject=f"course:{course.pk}",
        title=title,
        college_name=_college_name(course),
        course_title=course.title,
        teacher_name=course.teacher.name if course.teacher else "",
        hours=_hours(duration),
        period_start=term.starts_on,
        period_end=term.ends_on,
        course=course,
        term=term,
    )


@transaction.atomic
def course_completion_issue(*, course: Course, resident: User, now=None):
    """The completion certificate of one resident for one class of an ended term, by the same rule as
    `term_certificates_issue`; None when the term has not ended or the attendance falls short."""
    now = now or timezone.now()
    course = Course.objects.select_related("community__college", "teacher", "term").get(pk=course.pk)
    if course.term is None or course.term.status != TermStatus.ENDED:
        return None
    held = Session.objects.filter(held_q(now=now), course=course).count()
    mine = Attendance.objects.filter(
        held_q("session__", now=now), session__course=course, resident=resident, attended=True
    )
    figures = mine.aggregate(meetings=Count("id"), duration=Sum(_length("session__")))
    if not held or figures["meetings"] < required_attendance(held):
        return None
    return _issue_completion(course=course, term=course.term, holder=resident, duration=figures["duration"])


def _teacher_certificates(*, term: Term, courses: list[Course], now) -> int:
    by_teacher = defaultdict(list)
    for course in courses:
        if course.teacher is not None and course.teacher.user_id is not None:
            by_teacher[course.teacher.pk].append(course)
    if not by_teacher:
        return 0
    held = (
        Session.objects.filter(held_q(now=now), course__in=[c.pk for cs in by_teacher.values() for c in cs])
        .values("course__teacher_id")
        .annotate(meetings=Count("id"), duration=Sum(_length()))
    )
    figures = {row["course__teacher_id"]: (row["meetings"], row["duration"]) for row in held}
    holders = User.objects.in_bulk([cs[0].teacher.user_id for cs in by_teacher.values()])
    issued = 0
    for teacher_id, teacher_courses in by_teacher.items():
        teacher = teacher_courses[0].teacher
        holder = holders[teacher.user_id]
        meetings, duration = figures.get(teacher_id, (0, None))
        if not meetings:
            continue
        colleges = sorted({_college_name(c) for c in teacher_courses})
        with transaction.atomic(), translation.override(holder.language or settings.LANGUAGE_CODE):
            certificate_issue(
                kind=CertificateKind.TEACHER_HOURS,
                holder=holder,
                subject=f"term:{term.pk}",
                title=_("Certificate of teaching hours"),
                holder_name=teacher.name,
                college_name="、".join(colleges)[:200],
                course_title="、".join(sorted(c.title for c in teacher_courses))[:200],
                hours=_hours(duration),
                period_start=term.starts_on,
                period_end=term.ends_on,
                term=term,
            )
        issued += 1
    return issued
