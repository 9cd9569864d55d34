"""Writes about venue bookings. Two holding bookings of one venue never overlap."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import scope_for
from community_college.errors import ConflictError, ScopeError, field_error

from .enums import HOLDING_STATUSES, BookingStatus
from .models import Booking, Venue, VenueManager


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
    booking.answered_by, booking.answered_at = actor, timezone.now()
    booking._change_reason = f"confirmed by {actor.pk if actor else 'system'}"
    booking.save(update_fields=["status", "answered_by", "answered_at"])
    return booking


def manages_venue(*, user: User, venue_id: int) -> bool:
    """Whether `user` holds the venue-owner role for this venue (a VenueManager row)."""
    return user.is_authenticated and VenueManager.objects.filter(user=user, venue_id=venue_id).exists()


def may_answer_booking(*, booking: Booking, actor: User) -> bool:
    """The venue's managers, and the staff who may change the venue's community (their own path)."""
    if manages_venue(user=actor, venue_id=booking.venue_id):
        return True
    return scope_for(actor).can_change_community(booking.venue.community_id)


def _locked_for_answer(booking: Booking, actor: User) -> Booking:
    locked = Booking.objects.select_for_update(of=("self",)).select_related("venue").get(pk=booking.pk)
    if not may_answer_booking(booking=locked, actor=actor):
        raise ScopeError(_("Only the venue's owner or its community's staff can answer this booking."), code="scope")
    if locked.status != BookingStatus.PENDING:
        raise ConflictError(_("This booking no longer awaits an answer."), code="not_pending")
    return locked


@transaction.atomic
def booking_owner_confirm(*, booking: Booking, actor: User) -> Booking:
    """The venue's owner (or its community's staff) confirms a booking that awaited them."""
    locked = _locked_for_answer(booking, actor)
    booking_confirm(booking=locked, actor=actor)
    booking.status, booking.answered_by, booking.answered_at = locked.status, locked.answered_by, locked.answered_at
    return locked


@transaction.atomic
def booking_decline(*, booking: Booking, actor: User, reason: str) -> Booking:
    """The venue's owner (or its community's staff) declines a booking that awaited them, with a reason.

    The room is freed at once. A class's meeting keeps its time; its community finds another room (the
    staff see the reason on the booking and the venues' overview).
    """
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason for declining."), code="reason_required")
    locked = _locked_for_answer(booking, actor)
    locked.status = BookingStatus.DECLINED
    locked.decline_reason = reason[:300]
    locked.answered_by, locked.answered_at = actor, timezone.now()
    locked._change_reason = f"declined by {actor.pk}"
    locked.full_clean(exclude=["session"], validate_constraints=False)
    locked.save(update_fields=["status", "decline_reason", "answered_by", "answered_at"])
    booking.status, booking.decline_reason = locked.status, locked.decline_reason
    return locked


@transaction.atomic
def venue_manager_add(*, venue: Venue, user: User, actor: User) -> VenueManager:
    """Staff of the venue's community make `user` an owner of `venue` (idempotent)."""
    if not scope_for(actor).can_change_community(venue.community_id):
        raise ScopeError(_("%(venue)s belongs to another community.") % {"venue": venue.name}, code="scope")
    manager, _created = VenueManager.objects.get_or_create(venue=venue, user=user)
    return manager


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
    if moved_room or booking.status in (BookingStatus.CANCELLED, BookingStatus.DECLINED):
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
