import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from community_college.errors import ConflictError
from tests.factories import BookingFactory, VenueFactory
from venues import services
from venues.enums import BookingStatus
from venues.models import Booking

pytestmark = pytest.mark.django_db


def _at(hours):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    return base + timedelta(hours=hours)


def test_booking_overlapping_is_refused():
    venue = VenueFactory()
    services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
    with pytest.raises(ConflictError) as excinfo:
        services.booking_create(venue=venue, starts_at=_at(1), ends_at=_at(3))
    assert excinfo.value.code == "booking_overlap"
    assert Booking.objects.filter(venue=venue).count() == 1


def test_booking_back_to_back_is_allowed():
    venue = VenueFactory()
    services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
    services.booking_create(venue=venue, starts_at=_at(2), ends_at=_at(4))
    assert Booking.objects.filter(venue=venue).count() == 2


def test_booking_same_time_in_another_venue_is_allowed():
    services.booking_create(venue=VenueFactory(), starts_at=_at(0), ends_at=_at(2))
    services.booking_create(venue=VenueFactory(), starts_at=_at(0), ends_at=_at(2))
    assert Booking.objects.count() == 2


def test_booking_cancelled_frees_the_time():
    venue = VenueFactory()
    first = services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
    services.booking_cancel(booking=first, actor=None)
    services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
    assert Booking.objects.filter(venue=venue, status=BookingStatus.CONFIRMED).count() == 1


def test_booking_end_before_start_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.booking_create(venue=VenueFactory(), starts_at=_at(2), ends_at=_at(1))
    assert Booking.objects.count() == 0


def test_booking_needs_confirmation_when_the_owner_asks():
    venue = VenueFactory(requires_confirmation=True)
    booking = services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
    assert booking.status == BookingStatus.PENDING
    # A pending booking already holds the time.
    with pytest.raises(ConflictError):
        services.booking_create(venue=venue, starts_at=_at(1), ends_at=_at(2))
    services.booking_confirm(booking=booking, actor=None)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_booking_exclusion_constraint_refuses_overlap_in_sql(on_postgres):
    venue = VenueFactory()
    BookingFactory(venue=venue, starts_at=_at(0), ends_at=_at(2))
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        BookingFactory(venue=venue, starts_at=_at(1), ends_at=_at(3))


@pytest.mark.django_db(transaction=True)
def test_booking_concurrent_requests_hold_once(on_postgres):
    venue = VenueFactory()
    barrier = threading.Barrier(6)
    outcomes = []

    def book():
        try:
            barrier.wait()
            services.booking_create(venue=venue, starts_at=_at(0), ends_at=_at(2))
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    assert Booking.objects.filter(venue=venue).count() == 1
