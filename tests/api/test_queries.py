"""Every list endpoint answers in the same number of queries with 1 row and with 50.

Each count is the list's own queries plus, for token-less clients, none for authentication
(force_authenticate); the comments list them.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.api.services import api_token_create
from activities.models import MatchRun, ProposedClass, ProposedPlacement
from activities.orders import order_accept, order_place
from activities.services import registration_create
from notices.models import Notice
from tests.factories import (
    AttendanceFactory,
    CategoryFactory,
    CollegeFactory,
    CollegeStarRecordFactory,
    CourseFactory,
    InterestGroupFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    TeacherFactory,
    TermFactory,
    VenueFactory,
    WeeklySlotFactory,
)
from tests.shared_rows import rolled_back_at_the_end


def _rows(world, n):
    """n of everything every list shows, owned by world.owner or in world.home."""
    slot = WeeklySlotFactory()
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=world.home, term=term)
    college = CollegeFactory(community=world.home, pk=900)
    for i in range(n):
        leaf = CategoryFactory(parent=world.field)
        resident = ResidentFactory(profile__community=world.home)
        order = order_place(resident=world.owner, category=leaf)
        order_accept(order=order, actor=world.staff)
        order_place(resident=resident, category=leaf)
        venue = VenueFactory(community=world.home)
        teacher = TeacherFactory(community=world.home)
        course = CourseFactory(category=leaf, community=world.home, venue=venue, teacher=teacher, slot=slot)
        SessionFactory(course=course, venue=venue)
        past = SessionFactory(
            course=course,
            venue=venue,
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(days=3, hours=-1),
        )
        registration_create(course=course, resident=world.owner)
        AttendanceFactory(session=past, resident=world.owner)
        SessionRatingFactory(session=past, resident=world.owner)
        # Attended and not rated yet: awaiting feedback.
        earlier = SessionFactory(
            course=course,
            venue=venue,
            starts_at=timezone.now() - timedelta(days=4),
            ends_at=timezone.now() - timedelta(days=4, hours=-1),
        )
        AttendanceFactory(session=earlier, resident=world.owner)
        Notice.objects.create(
            recipient=world.owner,
            purpose="order_accepted",
            object_key=f"q:{i}",
            language="en",
            title="t",
            body="b",
        )
        api_token_create(user=world.owner, name=f"t{i}")
        proposed = ProposedClass.objects.create(
            run=run,
            category=leaf,
            teacher=teacher,
            venue=venue,
            slot=WeeklySlotFactory(
                code=f"s{i}", weekday=i % 7, start=f"{6 + i // 7}:30", end=f"{6 + i // 7}:59"
            ),
            term=term,
            community=world.home,
            size=1,
        )
        ProposedPlacement.objects.create(proposed_class=proposed, order=order)
        InterestGroupFactory(category=leaf, community=world.home)
        CollegeStarRecordFactory(college=college, period=date(2020 + i // 12, i % 12 + 1, 1))
        if i:
            MatchRun.objects.create(scope="community", community=world.home, term=term)


# (url, who, queries)
LISTS = [
    # categories: count, page
    ("/api/v1/categories/", "owner", 2),
    # search: profile, the annotated search
    ("/api/v1/categories/search/?q=xingqu", "owner", 2),
    # nearby: the taste (interests, free times, liked fields), the classes, my registrations among them
    ("/api/v1/courses/nearby/?page_size=100", "owner", 5),
    # orders: count, page, events with their actors
    ("/api/v1/orders/?page_size=100", "owner", 3),
    # registrations: count, page
    ("/api/v1/registrations/?page_size=100", "owner", 2),
    # my sessions: count, page
    ("/api/v1/me/sessions/?page_size=100", "owner", 2),
    # ratings: count, page
    ("/api/v1/ratings/?page_size=100", "owner", 2),
    # awaiting feedback: count, page
    ("/api/v1/ratings/awaiting/?page_size=100", "owner", 2),
    # notices: count, page
    ("/api/v1/notices/?page_size=100", "owner", 2),
    # groups near me: the profile, count, page (members, membership and meetings ahead are subqueries)
    ("/api/v1/groups/nearby/?page_size=100", "owner", 3),
    # a college's stars: the scope, the college, its records
    ("/api/v1/district/colleges/900/stars/", "staff", 3),
    # tokens: the list (unpaginated)
    ("/api/v1/auth/tokens/", "owner", 1),
    # staff lists: the scope (1), count, page
    ("/api/v1/staff/orders/?page_size=100", "staff", 3),
    # occupancy: the scope, count, the page's ids, then venues.occupancy.week_overview's venues, opening
    # hours, bookings and sessions without a room
    ("/api/v1/staff/venues/occupancy/?page_size=100", "staff", 7),
    ("/api/v1/staff/teachers/?page_size=100", "staff", 3),
    ("/api/v1/staff/match-runs/?page_size=100", "staff", 3),
    # proposals: the scope, count, page, placements with their orders and residents
    ("/api/v1/staff/proposed-classes/?page_size=100", "staff", 4),
]


@pytest.fixture(scope="module", params=[1, 50])
def n(request, _world_rows, django_db_blocker):
    """The rows, made once for every list of the module that reads them (tests/shared_rows.py): pytest
    runs the lists with 1 row, then the lists with 50."""
    with rolled_back_at_the_end(django_db_blocker):
        _rows(_world_rows, request.param)
        yield request.param


@pytest.mark.parametrize(("url", "who", "queries"), LISTS, ids=[u for u, _w, _q in LISTS])
def test_list_query_count_does_not_grow(world, api, django_assert_num_queries, n, url, who, queries):
    user = getattr(world, who)
    client = api(user)
    user.__dict__.pop("_cc_scope", None)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    rows = body if isinstance(body, list) else body.get("results", body.get("records", body))
    assert len(rows) >= 1
