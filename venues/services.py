"""Writes about venue bookings. Two holding bookings of one venue never overlap."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from community_college.errors import ConflictError

from .enums import HOLDING_STATUSES, BookingStatus
from .models import Booking, Venue


def _overlap_error(venue: Venue) -> ConflictError:
    return ConflictError(
        _("%(venue)s is already booked at that time.") % {"venue": venue.name}, code="booking_overlap"
    )


@transaction.atomic
def booking_create(
    *,
    venue: Venue,
    starts_at,
    ends_at,
    booked_by: User | None = None,
    session=None,
    purpose: str = "",
) -> Booking:
    """Hold `venue` from `starts_at` to `ends_at`.

    A venue whose owner must confirm gets a pending booking, which already holds the time so that no one
    else takes it while the owner decides.
    """
    booking = Booking(
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        booked_by=booked_by,
        session=session,
        purpose=purpose,
        status=BookingStatus.PENDING if venue.requires_confirmation else BookingStatus.CONFIRMED,
    )
    booking.full_clean(exclude=["session"], validate_constraints=False)
    # Lock the venue row first, on every database. Concurrent inserts that collide on PostgreSQL's
    # exclusion constraint wait on each other's transactions and can deadlock; queueing the requests
    # for one venue on its row avoids that, and lets us check for an overlap and answer cleanly.
    # Requests for different venues still run side by side.
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    if Booking.objects.filter(
        venue=venue, status__in=HOLDING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise _overlap_error(venue)
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if "booking_no_overlap" in str(exc):
            raise _overlap_error(venue) from exc
        raise
    return booking


def booking_confirm(*, booking: Booking, actor: User | None) -> Booking:
    if booking.status != BookingStatus.PENDING:
        raise ConflictError(_("Only a booking that awaits confirmation can be confirmed."), code="not_pending")
    booking.status = BookingStatus.CONFIRMED
    booking._change_reason = f"confirmed by {actor.pk if actor else 'system'}"
    booking.save(update_fields=["status"])
    return booking


def booking_cancel(*, booking: Booking, actor: User | None) -> Booking:
    if booking.status == BookingStatus.CANCELLED:
        return booking
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    return booking


@transaction.atomic
def booking_move(*, booking: Booking, venue: Venue, starts_at, ends_at, actor: User | None = None) -> Booking:
    """Move a booking to another room or time, keeping the row (a session holds exactly one booking).

    Refused with the same overlap error as `booking_create`; the caller's transaction then undoes every
    move made before, so a class is moved whole or not at all. A room whose owner must confirm starts
    over as pending.
    """
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    if (
        Booking.objects.filter(venue=venue, status__in=HOLDING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=booking.pk)
        .exists()
    ):
        raise _overlap_error(venue)
    moved_room = booking.venue_id != venue.pk
    booking.venue, booking.starts_at, booking.ends_at = venue, starts_at, ends_at
    if moved_room or booking.status == BookingStatus.CANCELLED:
        booking.status = BookingStatus.PENDING if venue.requires_confirmation else BookingStatus.CONFIRMED
    booking.full_clean(exclude=["session"], validate_constraints=False)
    booking._change_reason = f"moved by {actor.pk if actor else 'system'}"
    try:
        with transaction.atomic():
            booking.save(update_fields=["venue", "starts_at", "ends_at", "status"])
    except IntegrityError as exc:
        if "booking_no_overlap" in str(exc):
            raise _overlap_error(venue) from exc
        raise
    return booking
