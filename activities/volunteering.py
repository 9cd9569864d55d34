"""Volunteer hours (志愿服务): hours volunteers helped at sessions, confirmed by staff, and their certificate.

Beside the attendance service: whoever may take a session's roll call (its community's staff or its
teacher) records a volunteer's help at it — at a showcase (兴趣展示), whoever speaks for the group or class that
showed its work, at the meeting of the showcase's audience course; staff of the class's community confirm or refuse it; only
confirmed hours count, are shown as the volunteer's total and go on the hours certificate. A volunteer is a
user with the volunteer role (accounts.Role.VOLUNTEER).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from accounts.selectors import scope_for
from community_college.errors import ConflictError, ScopeError

from .certificates import certificate_issue
from .enums import CertificateKind, CourseKind, SessionStatus, ShowcaseStatus, VolunteerShiftStatus
from .models import Certificate, Session, Showcase, VolunteerShift
from .services import may_take_roll_call
from .showcases import may_speak_for

MAX_SHIFT_HOURS = Decimal("12")


def is_volunteer(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user, role=Role.VOLUNTEER).exists()


def _session_hours(session: Session) -> Decimal:
    hours = Decimal(int((session.ends_at - session.starts_at).total_seconds())) / 3600
    # Counted in half hours, as volunteer service records usually are.
    return max(Decimal("0.5"), (hours * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2)


@transaction.atomic
def volunteer_shift_record(
    *, session: Session, volunteer: User, actor: User, hours: Decimal | float | None = None, task: str = ""
) -> VolunteerShift:
    """Record that `volunteer` helped at `session` (by default for the session's length, in half hours).

    Recording again changes the hours or the task while staff have not decided; a decided shift is refused.
    """
    locked = Session.objects.select_related("course").get(pk=session.pk)
    if locked.course.kind == CourseKind.SHOWCASE:
        _check_showcase_helper(session=locked, actor=actor)
    elif not may_take_roll_call(session=locked, actor=actor):
        raise ScopeError(
            _("Only the class's community or its teacher can record volunteer hours."), code="scope"
        )
    if not is_volunteer(volunteer):
        raise ConflictError(
            _("%(name)s is not registered as a volunteer.") % {"name": volunteer.name or volunteer.pk},
            code="not_volunteer",
        )
    if locked.status == SessionStatus.CANCELLED:
        raise ConflictError(_("This meeting was cancelled."), code="session_cancelled")
    if locked.starts_at > timezone.now():
        raise ConflictError(_("Hours can be recorded once the meeting has started."), code="not_started")
    hours = _session_hours(locked) if hours is None else Decimal(str(hours)).quantize(Decimal("0.1"))
    if not (Decimal("0.5") <= hours <= MAX_SHIFT_HOURS):
        raise ConflictError(
            _("Hours must be between %(low)s and %(high)s.") % {"low": "0.5", "high": MAX_SHIFT_HOURS},
            code="bad_hours",
        )
    shift = VolunteerShift.objects.select_for_update().filter(session=locked, volunteer=volunteer).first()
    if shift is not None:
        if shift.status != VolunteerShiftStatus.RECORDED:
            raise ConflictError(_("These hours have already been decided by staff."), code="shift_decided")
        shift.hours, shift.task, shift.recorded_by, shift.recorded_at = (
            hours,
            task.strip()[:200],
            actor,
            timezone.now(),
        )
        shift.full_clean()
        shift.save(update_fields=["hours", "task", "recorded_by", "recorded_at"])
        return shift
    shift = VolunteerShift(
        session=locked, volunteer=volunteer, hours=hours, task=task.strip()[:200], recorded_by=actor
    )
    shift.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        # Recorded by a concurrent request a moment ago.
        return VolunteerShift.objects.get(session=locked, volunteer=volunteer)
    return shift


def _check_showcase_helper(*, session: Session, actor: User) -> None:
    """Hours at a showcase: it was approved (a proposal or a cancelled showcase had no helpers), and the actor
    is its proposer, speaks for the group or class that showed its work, or is its community's staff."""
    showcase = Showcase.objects.select_related("group", "course__teacher").get(audience_id=session.course_id)
    if actor.pk != showcase.proposed_by_id and not may_speak_for(
        actor=actor, group=showcase.group, course=showcase.course
    ):
        raise ScopeError(
            _("Only the showcase's group or class (or its community's staff) can record volunteer hours."),
            code="scope",
        )
    if showcase.status != ShowcaseStatus.APPROVED:
        raise ConflictError(_("This showcase did not take place."), code="showcase_not_held")


def volunteer_shift_record_at_showcase(
    *, showcase: Showcase, volunteer: User, actor: User, hours: Decimal | float | None = None, task: str = ""
) -> VolunteerShift:
    """Record that `volunteer` helped at `showcase`: a shift at its audience's meeting, confirmed by staff like
    any other (`volunteer_shift_decide`), counted in the same hours and certificate."""
    session = Session.objects.filter(course_id=showcase.audience_id).order_by("starts_at").first()
    return volunteer_shift_record(session=session, volunteer=volunteer, actor=actor, hours=hours, task=task)


@transaction.atomic
def volunteer_shift_decide(*, shift: VolunteerShift, actor: User, confirm: bool) -> VolunteerShift:
    """Staff of the class's community confirm (or refuse) recorded hours; deciding the same way twice is
    harmless, changing a decision is refused."""
    locked = (
        VolunteerShift.objects.select_for_update(of=("self",))
        .select_related("session__course")
        .get(pk=shift.pk)
    )
    if not scope_for(actor).can_change_community(locked.session.course.community_id):
        raise ScopeError(_("Only the staff of the class's community can confirm these hours."), code="scope")
    target = VolunteerShiftStatus.CONFIRMED if confirm else VolunteerShiftStatus.REJECTED
    if locked.status == target:
        return locked
    if locked.status != VolunteerShiftStatus.RECORDED:
        raise ConflictError(_("These hours have already been decided by staff."), code="shift_decided")
    locked.status, locked.decided_by, locked.decided_at = target, actor, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    shift.status, shift.decided_by, shift.decided_at = locked.status, locked.decided_by, locked.decided_at
    return locked


# --- Reads ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerHours:
    confirmed: Decimal
    awaiting: Decimal
    shifts: int


def volunteer_shifts(*, volunteer: User) -> QuerySet[VolunteerShift]:
    return (
        VolunteerShift.objects.filter(volunteer=volunteer)
        .select_related("session__course__community", "session__venue")
        .order_by("-session__starts_at", "-id")
    )


def volunteer_hours(*, volunteer: User) -> VolunteerHours:
    """The volunteer's confirmed hours and those awaiting staff. One query."""
    rows = dict(
        VolunteerShift.objects.filter(volunteer=volunteer)
        .values("status")
        .annotate(total=Sum("hours"))
        .values_list("status", "total")
    )
    count = VolunteerShift.objects.filter(volunteer=volunteer, status=VolunteerShiftStatus.CONFIRMED).count()
    return VolunteerHours(
        confirmed=_tenths(rows.get(VolunteerShiftStatus.CONFIRMED)),
        awaiting=_tenths(rows.get(VolunteerShiftStatus.RECORDED)),
        shifts=count,
    )


def _tenths(total: Decimal | None) -> Decimal:
    """A sum of hours in the field's own tenths: SQLite hands an aggregate back as a float-made Decimal
    (2.0 comes back as Decimal("2"), 0.1 + 0.2 as 0.30000000000000004), PostgreSQL as numeric(…, 1)."""
    return (total or Decimal(0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- The hours certificate ------------------------------------------------------------------------------------


def volunteer_certificate_issue(*, volunteer: User) -> Certificate:
    """The hours certificate for every hour confirmed so far. Asking again without new confirmed hours returns
    the same certificate; once more hours are confirmed a new one covers them all."""
    confirmed = VolunteerShift.objects.filter(volunteer=volunteer, status=VolunteerShiftStatus.CONFIRMED)
    figures = confirmed.aggregate(
        total=Sum("hours"),
        last=Max("id"),
        first_day=Min("session__starts_at"),
        last_day=Max("session__starts_at"),
    )
    if not figures["total"]:
        raise ConflictError(_("You have no confirmed volunteer hours yet."), code="no_hours")
    colleges = sorted(
        {
            name or community
            for name, community in confirmed.values_list(
                "session__course__community__college__name", "session__course__community__name"
            ).distinct()
        }
    )
    with translation.override(volunteer.language or settings.LANGUAGE_CODE):
        title = _("Certificate of volunteer service")
        what = _("Helping at community college classes")
    return certificate_issue(
        kind=CertificateKind.VOLUNTEER_HOURS,
        holder=volunteer,
        subject=f"volunteer:upto:{figures['last']}",
        title=title,
        college_name="、".join(colleges)[:200],
        course_title=what,
        hours=figures["total"],
        period_start=timezone.localdate(figures["first_day"]),
        period_end=timezone.localdate(figures["last_day"]),
    )
