"""Venues on one screen: the occupancy grid, utilisation, overlaps, sessions without a room, scope and queries."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Session
from activities.occupancy import PAGE_SIZE, CellState, week_overview
from community_college.models import Weekday
from tests.factories import BookingFactory, CourseFactory, FacilityFactory, VenueFactory
from venues.enums import BookingStatus, OwnerType
from venues.models import Booking, OpeningHours, Venue

pytestmark = pytest.mark.django_db

URL = reverse("admin:venues_venue_overview")
MONDAY = date(2026, 3, 2)


def at(day: date, hour: int, minute: int = 0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def venue_open_monday_9_to_13(community, **kwargs):
    venue = VenueFactory(community=community, **kwargs)
    OpeningHours.objects.create(venue=venue, weekday=Weekday.MONDAY, start=time(9), end=time(13))
    return venue


def test_grid_utilisation_and_pending(world):
    venue = venue_open_monday_9_to_13(world.a.community)
    BookingFactory(venue=venue, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10))
    BookingFactory(
        venue=venue, starts_at=at(MONDAY, 11), ends_at=at(MONDAY, 12), status=BookingStatus.PENDING
    )
    BookingFactory(
        venue=venue, starts_at=at(MONDAY, 12), ends_at=at(MONDAY, 13), status=BookingStatus.CANCELLED
    )
    (week,) = week_overview(
        venues=Venue.objects.filter(pk=venue.pk), week_start=MONDAY + timedelta(days=3)
    ).venues
    monday = dict(zip(range(7, 22), [c.state for c in week.days[0][1]], strict=True))
    assert [monday[h] for h in (8, 9, 10, 11, 12, 13)] == [
        CellState.CLOSED,
        CellState.BOOKED,
        CellState.FREE,
        CellState.PENDING,
        CellState.FREE,
        CellState.CLOSED,
    ]
    assert (week.open_minutes, week.booked_minutes, week.utilisation) == (240, 120, 50)
    assert [b.status for b in week.pending] == [BookingStatus.PENDING]


def test_booking_outside_opening_hours_is_marked(world):
    venue = venue_open_monday_9_to_13(world.a.community)
    late = BookingFactory(venue=venue, starts_at=at(MONDAY, 19), ends_at=at(MONDAY, 20))
    (week,) = week_overview(venues=Venue.objects.filter(pk=venue.pk), week_start=MONDAY).venues
    cell = week.days[0][1][19 - 7]
    assert (cell.state, cell.booking) == (CellState.OUTSIDE, late)
    assert (week.booked_minutes, week.conflicts) == (0, [])


def test_overlap_is_flagged(world):
    venue = venue_open_monday_9_to_13(world.a.community)
    a = BookingFactory(venue=venue, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 11))
    b = Booking(venue=venue, starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 12), status=BookingStatus.CONFIRMED)
    try:
        with transaction.atomic():
            b.save()
    except IntegrityError:  # PostgreSQL's exclusion constraint refuses it: no such data to show there
        pytest.skip("the database refuses overlapping bookings")
    (week,) = week_overview(venues=Venue.objects.filter(pk=venue.pk), week_start=MONDAY).venues
    assert {x.pk for x in week.conflicts} == {a.pk, b.pk}
    assert week.days[0][1][10 - 7].state == CellState.CONFLICT
    assert week.booked_minutes == 180  # overlapping time counted once


def test_page_lists_sessions_without_a_room_and_links_bookings(world, login):
    venue = venue_open_monday_9_to_13(world.a.community)
    booking = BookingFactory(venue=venue, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10), purpose="太极")
    homeless = Session.objects.create(
        course=CourseFactory(community=world.a.community),
        starts_at=at(MONDAY, 15),
        ends_at=at(MONDAY, 16),
        capacity=5,
    )
    other = Session.objects.create(
        course=CourseFactory(community=world.b.community),
        starts_at=at(MONDAY, 15),
        ends_at=at(MONDAY, 16),
        capacity=5,
    )
    response = login(world.community_staff).get(URL, {"week": MONDAY.isoformat()})
    html = response.content.decode()
    assert [s.pk for s in response.context["overview"].unplaced_sessions] == [homeless.pk]
    assert other.pk not in [s.pk for s in response.context["overview"].unplaced_sessions]
    assert reverse("admin:venues_booking_change", args=[booking.pk]) in html


def test_filters_by_facility_owner_type_and_community(world, login):
    piano = FacilityFactory(code="piano")
    with_piano = venue_open_monday_9_to_13(world.a.community, owner_type=OwnerType.SCHOOL)
    with_piano.facilities.add(piano)
    client = login(world.street_staff)
    shown = lambda **q: {w.venue.pk for w in client.get(URL, q).context["overview"].venues}  # noqa: E731
    assert shown(facility=piano.pk) == {with_piano.pk}
    assert shown(owner_type=OwnerType.SCHOOL) == {with_piano.pk}
    assert shown(community=world.a.community.pk) == {with_piano.pk, world.a.venue.pk}
    # Another street's community is not a choice: the form refuses it and shows the scope.
    assert world.b.venue.pk not in shown(community=world.b.community.pk)


@pytest.mark.parametrize(
    "role,own,other",
    [("community_staff", True, False), ("street_staff", True, False), ("district_office", True, True)],
)
def test_scope_of_the_overview(world, login, role, own, other):
    venues = {w.venue.pk for w in login(getattr(world, role)).get(URL).context["overview"].venues}
    assert (world.a.venue.pk in venues, world.b.venue.pk in venues) == (own, other)


def test_resident_is_sent_to_the_login_page(world, login):
    assert login(world.resident).get(URL).status_code == 302


@pytest.mark.parametrize("venues", [1, 50])
def test_query_count_does_not_grow_with_venues_and_bookings(world, login, django_assert_num_queries, venues):
    for i in range(venues):
        venue = venue_open_monday_9_to_13(world.a.community)
        for h in range(3):
            BookingFactory(
                venue=venue, starts_at=at(MONDAY, 9 + h), ends_at=at(MONDAY, 10 + h), purpose=str(i)
            )
        Session.objects.create(
            course=world.a.course, starts_at=at(MONDAY, 18), ends_at=at(MONDAY, 19), capacity=5
        )
    client = login(world.community_staff)
    # 1 session, 2 user, 3 roles (scope, cached for the rest of the request), 4 count of the venues for the
    # pages, 5 the page's venues with their community, 6 their opening hours, 7 the week's bookings with
    # sessions and courses, 8 the week's sessions without a room, 9-10 Django permissions for the sidebar,
    # 11 streets, 12 communities and 13 facilities of the filter form.
    with django_assert_num_queries(13):
        response = client.get(URL, {"week": MONDAY.isoformat()})
    assert len(response.context["overview"].venues) == min(venues + 1, PAGE_SIZE)


def test_overview_shows_venues_a_page_at_a_time(world, login):
    for _ in range(PAGE_SIZE + 3):
        venue_open_monday_9_to_13(world.a.community)
    client = login(world.community_staff)
    first = client.get(URL, {"week": MONDAY.isoformat()})
    last = client.get(URL, {"week": MONDAY.isoformat(), "page": 2})
    beyond = client.get(URL, {"week": MONDAY.isoformat(), "page": 99})
    first_ids = [w.venue.pk for w in first.context["overview"].venues]
    last_ids = [w.venue.pk for w in last.context["overview"].venues]
    assert (len(first_ids), len(last_ids)) == (PAGE_SIZE, 4)  # 28 new venues and the node's own
    assert not set(first_ids) & set(last_ids)
    assert [w.venue.pk for w in beyond.context["overview"].venues] == last_ids
    assert f"week={MONDAY.isoformat()}&amp;page=2" in first.content.decode()
