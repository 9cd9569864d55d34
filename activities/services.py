"""Writes about classes: registrations with a fair waiting list, sessions and their venue bookings.

Capacity is guarded by the database: a registration takes a place with one conditional UPDATE
(`confirmed_count < capacity`), and a CheckConstraint refuses any row that would oversell.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import require_change, scope_for
from community_college.errors import ConflictError, ScopeError
from notices import hooks as notice_hooks
from venues.services import booking_create

from .enums import ACTIVE_REGISTRATION_STATUSES, CourseStatus, RegistrationStatus, SessionStatus
from .models import Course, Registration, Session


def _take_place(course_id: int) -> bool:
    """Atomically take one place of an open class; False when it is full (or no longer open)."""
    return bool(
        Course.objects.filter(pk=course_id, status=CourseStatus.OPEN, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
    )


def registration_create(*, course: Course, resident: User, placed_by: User | None = None, order=None) -> Registration:
    """Register `resident` for `course`: a place when one is free, else the end of the waiting list.

    Idempotent: registering twice (a double-click, a retried request) returns the live registration.
    """
    if placed_by is not None and placed_by != resident and not scope_for(placed_by).can_change_community(course.community_id):
        raise ScopeError(_("You can only register residents for classes of your own community."), code="scope")
    existing = Registration.objects.filter(course=course, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            if _take_place(course.pk):
                status = RegistrationStatus.CONFIRMED
            elif Course.objects.filter(pk=course.pk, status=CourseStatus.OPEN).exists():
                status = RegistrationStatus.WAITLISTED
            else:
                # Checked in the same UPDATE that takes the place, so a class closed a moment ago takes no one.
                raise ConflictError(_("This class is not open for registration."), code="course_closed")
            registration = Registration.objects.create(
                course=course, resident=resident, status=status, placed_by=placed_by or resident, order=order
            )
            notice_hooks.registration_changed(registration.pk, status)
            return registration
    except IntegrityError:
        # Another request of the same resident won the race; the unique index kept one registration.
        return Registration.objects.get(course=course, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES)


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: User) -> Registration | None:
    """Cancel a registration; a freed place goes to the first on the waiting list.

    Returns the registration that was moved up, if any.
    """
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if actor.pk != reg.resident_id and not scope_for(actor).can_change_community(reg.course.community_id):
        raise ScopeError(_("Only the resident or their community can cancel this registration."), code="scope")
    if reg.status == RegistrationStatus.CANCELLED:
        return None
    was_confirmed = reg.status == RegistrationStatus.CONFIRMED
    reg.status = RegistrationStatus.CANCELLED
    reg.status_changed = timezone.now()
    reg.save(update_fields=["status", "status_changed"])
    registration.status = reg.status
    notice_hooks.registration_changed(reg.pk, "cancelled")
    if not was_confirmed:
        return None
    Course.objects.filter(pk=reg.course_id).update(confirmed_count=F("confirmed_count") - 1)
    return promote_from_waitlist(course_id=reg.course_id)


def promote_from_waitlist(*, course_id: int) -> Registration | None:
    """Give a free place to the resident who has waited longest. Call inside a transaction."""
    first = (
        Registration.objects.select_for_update(skip_locked=True)
        .filter(course_id=course_id, status=RegistrationStatus.WAITLISTED)
        .order_by("created", "id")
        .first()
    )
    if first is None or not _take_place(course_id):
        return None
    first.status = RegistrationStatus.CONFIRMED
    first.status_changed = timezone.now()
    first.save(update_fields=["status", "status_changed"])
    notice_hooks.registration_changed(first.pk, "promoted")
    return first


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return (
        Registration.objects.filter(
            waitlist_ahead_of(registration), course_id=registration.course_id, status=RegistrationStatus.WAITLISTED
        ).count()
        + 1
    )


@transaction.atomic
def session_schedule(*, course: Course, starts_at, ends_at, venue=None, actor: User | None = None) -> Session:
    """Add a meeting of `course`, holding its venue in the same transaction."""
    capacity = course.capacity if venue is None else min(course.capacity, venue.capacity)
    session = Session(course=course, venue=venue, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
    session.full_clean()
    session.save()
    if venue is not None:
        booking_create(
            venue=venue, starts_at=starts_at, ends_at=ends_at, booked_by=actor, session=session, purpose=course.title
        )
    return session


def waitlist_ahead_of(registration: Registration, prefix: str = "") -> Q:
    """Registrations queued before `registration`, in the order promote_from_waitlist serves them.

    Ties on `created` are broken by id: two residents who joined in the same microsecond must not
    both be told they are first. `prefix` leads from another model to Registration ("registrations__").
    """
    return Q(**{f"{prefix}created__lt": registration.created}) | Q(
        **{f"{prefix}created": registration.created, f"{prefix}id__lt": registration.id}
    )


@transaction.atomic
def course_cancel(*, course: Course, actor: User) -> Course:
    """Cancel a class: its coming meetings, their rooms and every live registration; residents are told.

    Orders dispatched into it stay dispatched with their class, so the timeline shows what happened;
    the notice tells the resident they may order again.
    """
    from venues.enums import BookingStatus
    from venues.models import Booking

    locked = Course.objects.select_for_update().get(pk=course.pk)
    require_change(actor, locked.community_id, elsewhere=_("This class belongs to another community."))
    if locked.status == CourseStatus.CANCELLED:
        return locked
    now = timezone.now()
    upcoming = Session.objects.filter(course=locked, starts_at__gte=now, status=SessionStatus.SCHEDULED)
    Booking.objects.filter(session__in=upcoming).update(status=BookingStatus.CANCELLED)
    upcoming.update(status=SessionStatus.CANCELLED)
    Registration.objects.filter(course=locked, status__in=ACTIVE_REGISTRATION_STATUSES).update(
        status=RegistrationStatus.CANCELLED, status_changed=now
    )
    locked.status = CourseStatus.CANCELLED
    locked.confirmed_count = 0
    locked.save(update_fields=["status", "confirmed_count"])
    # One notice per registered resident, sent by the notices app after commit.
    notice_hooks.course_changed(locked.pk, "cancelled")
    course.status, course.confirmed_count = locked.status, locked.confirmed_count
    return locked
