"""Bookings of two venues: confirming, cancelling and refusing one booking leaves every other as it was."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from community_college.errors import ConflictError
from tests.factories import BookingFactory, StaffFactory, VenueFactory
from tests.factories.pairs import snapshot
from venues import services
from venues.enums import BookingStatus
from venues.models import Booking

pytestmark = pytest.mark.django_db


def _at(hours):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    return base + timedelta(hours=hours)


@pytest.fixture
def bookings():
    """A pending and a confirmed booking in each of two venues."""
    rows = {}
    for name in ("a", "b"):
        venue = VenueFactory(requires_confirmation=True)
        rows[f"{name}_pending"] = BookingFactory(venue=venue, starts_at=_at(0), ends_at=_at(1), status=BookingStatus.PENDING)
        rows[f"{name}_confirmed"] = BookingFactory(venue=venue, starts_at=_at(2), ends_at=_at(3))
    return rows


def _others(*targets):
    return snapshot(Booking.objects.exclude(pk__in=[t.pk for t in targets]), "status", "purpose")


def test_booking_confirm_confirms_that_booking_only(bookings):
    target = bookings["a_pending"]
    before = _others(target)
    actor = StaffFactory(community=target.venue.community)
    services.booking_confirm(booking=target, actor=actor)
    row = Booking.objects.get(pk=target.pk)
    assert row.status == BookingStatus.CONFIRMED
    assert row.history.first().history_change_reason == f"confirmed by {actor.pk}"
    assert _others(target) == before


def test_booking_confirm_by_the_system_says_so(bookings):
    services.booking_confirm(booking=bookings["b_pending"], actor=None)
    assert Booking.objects.get(pk=bookings["b_pending"].pk).history.first().history_change_reason == "confirmed by system"


@pytest.mark.parametrize("status", [BookingStatus.CONFIRMED, BookingStatus.CANCELLED])
def test_booking_confirm_of_a_booking_not_awaiting_is_refused(bookings, status):
    target = bookings["a_confirmed"]
    Booking.objects.filter(pk=target.pk).update(status=status)
    target.refresh_from_db()
    before = snapshot(Booking.objects.all(), "status")
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        services.booking_confirm(booking=target, actor=None)
    assert (excinfo.value.messages[0], excinfo.value.code) == (
        "Only a booking that awaits confirmation can be confirmed.",
        "not_pending",
    )
    assert snapshot(Booking.objects.all(), "status") == before


def test_booking_cancel_cancels_that_booking_only(bookings):
    target = bookings["b_confirmed"]
    before = _others(target)
    services.booking_cancel(booking=target, actor=None)
    assert Booking.objects.get(pk=target.pk).status == BookingStatus.CANCELLED
    assert _others(target) == before
    # Cancelling again is harmless.
    assert services.booking_cancel(booking=target, actor=None).status == BookingStatus.CANCELLED


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_booking_status_change_keeps_a_concurrent_edit(bookings, action):
    """Only the status is written: an edit saved meanwhile by someone else (the purpose) is kept."""
    target = bookings["a_pending"]
    Booking.objects.filter(pk=target.pk).update(purpose="书法班（改）")
    getattr(services, f"booking_{action}")(booking=target, actor=None)
    assert Booking.objects.get(pk=target.pk).purpose == "书法班（改）"


def test_booking_overlap_names_the_venue(bookings):
    venue = bookings["a_confirmed"].venue
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        services.booking_create(venue=venue, starts_at=_at(2), ends_at=_at(4))
    assert (excinfo.value.messages[0], excinfo.value.code) == (
        f"{venue.name} is already booked at that time.",
        "booking_overlap",
    )
    # The same hours in the other venue are taken too, but by its own bookings: another time is free there.
    other = bookings["b_confirmed"].venue
    services.booking_create(venue=other, starts_at=_at(4), ends_at=_at(5))
    assert Booking.objects.filter(venue=venue).count() == 2
