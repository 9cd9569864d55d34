"""Two communities, each with a class of weekly meetings held in a booked room, and staff for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.enums import Role
from activities import services
from activities.models import Session
from tests.factories import (
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    StaffFactory,
    TermFactory,
    VenueFactory,
    WeeklySlotFactory,
)


@dataclass
class Side:
    community: object
    staff: object
    venue: object
    spare_venue: object
    course: object
    sessions: list


def next_weekday(weekday: int, hour: int, weeks_ahead: int = 1):
    """A local, aware datetime on `weekday` at `hour`, `weeks_ahead` weeks from this week."""
    today = timezone.localdate()
    day = today - timedelta(days=today.weekday()) + timedelta(days=weekday, weeks=weeks_ahead)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour, 0))


def make_side(*, capacity: int = 2, meetings: int = 3, past: int = 0, term=None) -> Side:
    community = CommunityFactory()
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community)
    venue = VenueFactory(community=community, capacity=20)
    spare = VenueFactory(community=community, capacity=20)
    slot = WeeklySlotFactory()  # mon-0900
    course = CourseFactory(community=community, capacity=capacity, venue=venue, slot=slot, term=term or TermFactory())
    sessions = []
    for week in range(-past, 0):
        # Meetings in past weeks are created directly: nothing to book or announce for them.
        starts = next_weekday(0, 9, weeks_ahead=week)
        sessions.append(
            Session.objects.create(
                course=course, venue=venue, starts_at=starts, ends_at=starts + timedelta(minutes=90), capacity=capacity
            )
        )
    for week in range(1, meetings + 1):
        starts = next_weekday(0, 9, weeks_ahead=week)
        sessions.append(
            services.session_schedule(
                course=course, venue=venue, starts_at=starts, ends_at=starts + timedelta(minutes=90), actor=staff
            )
        )
    return Side(community=community, staff=staff, venue=venue, spare_venue=spare, course=course, sessions=sessions)


def residents(community, n: int) -> list:
    return [ResidentFactory(profile__community=community) for _ in range(n)]
