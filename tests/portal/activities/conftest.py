"""Fixtures of the portal's class, calendar and feedback pages.

Pages are read in English: the strings are English in the source, and Chinese (the default) comes from
the catalogue the lead fills, which must not make these tests depend on its progress.
"""

from datetime import time, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    SessionFactory,
    VenueFactory,
    WeeklySlotFactory,
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def community(db):
    return CommunityFactory(latitude=29.65, longitude=106.55)


@pytest.fixture
def resident(community):
    return ResidentFactory(profile__community=community, language="en")


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


def make_course(community, *, category=None, slot=None, venue=None, sessions=1, starts_in=timedelta(days=2), **kwargs):
    """An open class with a venue, a weekly slot and `sessions` upcoming weekly meetings."""
    venue = venue or VenueFactory(community=community)
    slot = slot or WeeklySlotFactory(code="mon-0900", weekday=0, start=time(9), end=time(10, 30))
    course = CourseFactory(
        community=community, category=category or CategoryFactory(), venue=venue, slot=slot, **kwargs
    )
    start = timezone.now().replace(microsecond=0) + starts_in
    for week in range(sessions):
        SessionFactory(course=course, venue=venue, starts_at=start + timedelta(weeks=week))
    return course
