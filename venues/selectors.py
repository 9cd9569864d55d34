"""Reads for venue owners: the venues they manage, the bookings waiting for their answer, a venue's week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User

from .enums import BookingStatus
from .models import Booking, Venue

# What a booking shows an owner about the meeting it is for; the session is named by the string
# relation only: venues sits below activities and imports nothing from it.
_BOOKING_RELATED = (
    "venue",
    "session__course__teacher",
    "session__course__community",
    "session__course__category",
)


def owner_venues(*, user: User) -> QuerySet[Venue]:
    """The venues `user` manages (the venue-owner role), by name."""
    if not user.is_authenticated:
        return Venue.objects.none()
    return Venue.objects.filter(managers__user=user).select_related("community").order_by("name", "id")


def is_venue_owner(user: User) -> bool:
    return owner_venues(user=user).exists()


def owner_bookings(*, user: User) -> QuerySet[Booking]:
    """Every booking of the venues `user` manages (the owner API's rows), soonest first."""
    return (
        Booking.objects.filter(venue__managers__user=user)
        .select_related(*_BOOKING_RELATED)
        .order_by("starts_at", "id")
    )


def owner_pending_bookings(*, user: User, now=None) -> QuerySet[Booking]:
    """Bookings of the owner's venues that await their answer and have not begun."""
    now = now or timezone.now()
    return owner_bookings(user=user).filter(status=BookingStatus.PENDING, ends_at__gt=now)


def venue_week(*, venue: Venue, day: date) -> QuerySet[Booking]:
    """The venue's bookings of the week (Monday to Sunday, local time) holding `day`, cancelled ones left out."""
    monday = day - timedelta(days=day.weekday())
    start = timezone.make_aware(
        datetime.combine(monday, datetime.min.time()), timezone.get_current_timezone()
    )
    return (
        Booking.objects.filter(venue=venue, starts_at__gte=start, starts_at__lt=start + timedelta(days=7))
        .exclude(status=BookingStatus.CANCELLED)
        .select_related(*_BOOKING_RELATED)
        .order_by("starts_at", "id")
    )
