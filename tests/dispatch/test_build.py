"""The instance built from the database: what each order, teacher and venue brings, net of what is taken."""

from datetime import time, timedelta

import pytest

from activities import orders as order_services
from activities.dispatch.build import build_instance, session_dates, term_window
from activities.enums import CourseStatus
from activities.matching.problem import Instance
from community_college.models import Weekday
from tests.factories import CommunityFactory, CourseFactory, SessionFactory
from venues.enums import BookingStatus
from venues.services import booking_create

from .helpers import accepted, category, orders, resident, teacher, venue

pytestmark = pytest.mark.django_db

MON, TUE, WED = Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY


def built(town, node=None):
    return build_instance(node=node or town.a, term=town.term)


def on(town, weekday: int, week: int = 0):
    """The date of `weekday` in the given week of the term."""
    first = town.term.starts_on
    return first + timedelta(days=(weekday - first.weekday()) % 7, weeks=week)


def at(day, hour, minute=0):
    from activities.dispatch.build import at as aware

    return aware(day, time(hour, minute))


# --- orders and scope ------------------------------------------------------------------------------------------


def test_only_accepted_orders_of_the_scope_go_in(town):
    cat = category("书法", facilities=())
    mine = accepted(resident(town.a), cat, town.staff_a)
    order_services.order_place(resident=resident(town.a), category=cat)  # submitted, not accepted
    neighbour = accepted(resident(town.b), cat, town.staff_b)
    far = accepted(resident(town.c), cat)
    by_node = {
        "community": built(town, town.a),
        "street": built(town, town.street),
        "district": built(town, town.district),
    }
    assert {k: sorted(o.id for o in b.instance.orders) for k, b in by_node.items()} == {
        "community": [mine.pk],
        "street": sorted([mine.pk, neighbour.pk]),
        "district": sorted([mine.pk, neighbour.pk, far.pk]),
    }
    assert by_node["street"].community_ids == {town.a.pk, town.b.pk}


def test_an_order_carries_its_resident_home_weight_and_category(town):
    cat = category("书法")
    user = resident(town.a, km=0.5)
    order = accepted(user, cat, town.staff_a)
    (item,) = built(town).instance.orders
    assert (item.id, item.resident, item.category, item.weight) == (order.pk, user.pk, cat.pk, 1.0)
    assert (item.lat, item.lon) == (user.profile.latitude, user.profile.longitude)


def test_order_slots_come_from_its_preferences_else_the_residents_free_times_else_any(town):
    cat = category("书法")
    chose = accepted(
        resident(town.a, free=[(TUE, time(8), time(12))]), cat, town.staff_a, preferred=[town.mon]
    )
    free_tuesday = accepted(resident(town.a, free=[(TUE, time(8), time(12))]), cat, town.staff_a)
    # 9:00-10:00 does not hold the 9:00-10:30 slot.
    too_short = accepted(resident(town.a, free=[(MON, time(9), time(10))]), cat, town.staff_a)
    anytime = accepted(resident(town.a), cat, town.staff_a)
    b = built(town)
    slots = {o.id: o.slots for o in b.instance.orders}
    assert slots == {chose.pk: ("mon-0900",), free_tuesday.pk: ("tue-0900",), anytime.pk: ()}
    # `[]` would mean "any", so an order no slot fits is explained by the service, not sent to the solver.
    assert b.no_slot == (too_short.pk,)
    assert set(b.orders) == {chose.pk, free_tuesday.pk, too_short.pk, anytime.pk}


def test_an_order_without_any_location_is_left_out_and_counted(town):
    nowhere = CommunityFactory(street=town.street, latitude=None, longitude=None)
    user = resident(nowhere)
    order = accepted(user, category("书法"))
    b = build_instance(node=nowhere, term=town.term)
    assert (b.instance.orders, b.unlocated) == ((), (order.pk,))


def test_a_profile_without_location_falls_back_to_the_community_centre(town):
    user = resident(town.b)
    user.profile.latitude = user.profile.longitude = None
    user.profile.save()
    accepted(user, category("书法"), town.staff_b)
    (item,) = build_instance(node=town.b, term=town.term).instance.orders
    assert (item.lat, item.lon) == (town.b.latitude, town.b.longitude)


# --- categories and venues --------------------------------------------------------------------------------------


def test_categories_and_venues_carry_facility_codes(town):
    cat = category("合唱", min_size=4, max_size=12, facilities=("piano", "music_room"))
    orders(1, town.a, cat, staff=town.staff_a)
    v = venue(town.a, facilities=("music_room", "piano", "projector"), capacity=25)
    inst = built(town).instance
    assert [(c.id, c.facilities, c.min_size, c.max_size) for c in inst.categories] == [
        (cat.pk, ("music_room", "piano"), 4, 12)
    ]
    assert [(x.id, x.facilities, x.capacity) for x in inst.venues] == [
        (v.pk, ("music_room", "piano", "projector"), 25)
    ]


def test_venue_slots_are_those_inside_its_opening_hours(town):
    orders(1, town.a, category("书法"), staff=town.staff_a)
    v = venue(town.a, hours=[(MON, time(9), time(10)), (TUE, time(8), time(12)), (WED, time(18), time(21))])
    (item,) = built(town).instance.venues
    assert (item.id, item.slots) == (v.pk, ("tue-0900", "wed-1900"))


def test_venue_slots_are_net_of_holding_bookings_during_the_term(town):
    orders(1, town.a, category("书法"), staff=town.staff_a)
    v = venue(town.a, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21)), (WED, time(8), time(21))])
    # One Monday in the fifth week, overlapping 9:00-10:30 by half an hour: the weekly class cannot meet.
    booking_create(venue=v, starts_at=at(on(town, MON, 4), 10), ends_at=at(on(town, MON, 4), 11))
    # A cancelled booking on a Tuesday frees the room again.
    gone = booking_create(venue=v, starts_at=at(on(town, TUE, 2), 9), ends_at=at(on(town, TUE, 2), 10))
    gone.status = BookingStatus.CANCELLED
    gone.save()
    # After the term, and right after the Wednesday slot: no effect.
    booking_create(
        venue=v,
        starts_at=at(town.term.ends_on + timedelta(days=14), 19),
        ends_at=at(town.term.ends_on + timedelta(days=14), 20),
    )
    booking_create(venue=v, starts_at=at(on(town, WED, 1), 20, 30), ends_at=at(on(town, WED, 1), 22))
    (item,) = built(town).instance.venues
    assert item.slots == ("tue-0900", "wed-1900")


def test_a_venue_of_another_community_or_out_of_walking_reach_is_left_out(town):
    orders(1, town.a, category("书法"), staff=town.staff_a)
    near = venue(town.a, km=1.0)
    venue(town.a, km=2.0)  # beyond 1.2 km of every order
    venue(town.b)  # another community's room: a class there would be theirs
    assert [v.id for v in built(town).instance.venues] == [near.pk]


# --- teachers ---------------------------------------------------------------------------------------------------


def test_teacher_slots_are_inside_their_free_time_and_net_of_their_sessions(town):
    cat = category("书法")
    orders(1, town.a, cat, staff=town.staff_a)
    venue(town.a, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21))])
    t = teacher(
        [cat], windows=[(MON, time(8), time(12)), (TUE, time(8), time(12)), (WED, time(18), time(20))]
    )
    # A one-off session on the third Monday, 9:30-11:00: a weekly class at 9:00 would clash that week.
    course = CourseFactory(community=town.a, teacher=t, category=cat)
    SessionFactory(course=course, starts_at=at(on(town, MON, 2), 9, 30), ends_at=at(on(town, MON, 2), 11))
    # Sessions before the term, or cancelled, take nothing.
    SessionFactory(course=course, starts_at=at(on(town, TUE, -2), 9), ends_at=at(on(town, TUE, -2), 10))
    (item,) = built(town).instance.teachers
    assert (item.id, item.slots, item.skills) == (t.pk, ("tue-0900",), (cat.pk,))


def test_teacher_sessions_left_are_net_of_their_busiest_week_and_slotted_courses(town):
    cat = category("书法")
    orders(1, town.a, cat, staff=town.staff_a)
    venue(town.a, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21))])
    t = teacher([cat], windows=[(MON, time(8), time(12)), (TUE, time(8), time(12))], max_weekly=4)
    course = CourseFactory(community=town.a, teacher=t, category=cat)
    # Two sessions in the second week (Thursday and Friday afternoons, outside the slots) ...
    for weekday in (3, 4):
        SessionFactory(
            course=course, starts_at=at(on(town, weekday, 1), 14), ends_at=at(on(town, weekday, 1), 15)
        )
    # ... and a weekly course of the term on Wednesday evenings, with no session scheduled yet.
    CourseFactory(
        community=town.a,
        teacher=t,
        category=cat,
        term=town.term,
        slot=town.wed_evening,
        status=CourseStatus.OPEN,
    )
    (item,) = built(town).instance.teachers
    assert (item.max_sessions, item.slots) == (4 - 2 - 1, ("mon-0900", "tue-0900"))


def test_a_teachers_slotted_course_of_the_term_takes_the_slot(town):
    cat = category("书法")
    orders(1, town.a, cat, staff=town.staff_a)
    venue(town.a, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21))])
    t = teacher([cat], windows=[(MON, time(8), time(12)), (TUE, time(8), time(12))])
    CourseFactory(
        community=town.b, teacher=t, category=cat, term=town.term, slot=town.mon, status=CourseStatus.OPEN
    )
    (item,) = built(town).instance.teachers
    assert item.slots == ("tue-0900",)


def test_teachers_without_the_skill_reach_room_or_time_are_left_out(town):
    cat, other = category("书法"), category("围棋")
    orders(1, town.a, cat, staff=town.staff_a)
    venue(town.a)
    able = teacher([cat, other], km=3.0, max_km=5.0)
    teacher([other])  # no skill asked for
    teacher([cat], km=8.0, max_km=5.0)  # too far from every venue
    teacher([cat], windows=[(TUE, time(8), time(12))])  # free only when no venue is open ... still in
    teacher([cat], windows=[(MON, time(9), time(10))])  # free, but no slot fits
    inst = built(town).instance
    # Skills are narrowed to the instance's categories, as the spec requires.
    assert [(t.id, t.skills) for t in inst.teachers][0] == (able.pk, (cat.pk,))
    assert len(inst.teachers) == 2


# --- the calendar ----------------------------------------------------------------------------------------------


def test_sessions_are_every_week_of_the_term_still_to_come(town):
    first, last = term_window(town.term)
    assert (first, last) == (town.term.starts_on, town.term.ends_on)
    mondays = session_dates(MON, first, last)
    assert len(mondays) == town.mondays() and all(d.weekday() == MON for d in mondays)
    # Once the term is under way, tomorrow is the first day.
    assert term_window(town.term, today=town.term.starts_on + timedelta(days=10))[
        0
    ] == town.term.starts_on + timedelta(days=11)


def test_the_same_database_gives_the_same_instance_and_it_reads_back_as_the_spec(town):
    cat = category("书法", facilities=("tables",))
    orders(3, town.a, cat, staff=town.staff_a)
    venue(town.a, facilities=("tables",))
    teacher([cat])
    first, second = built(town).instance, built(town).instance
    assert first.to_json() == second.to_json()
    assert Instance.from_json(first.to_json()) == first


def test_a_venue_whose_times_are_all_taken_stays_in_with_no_slot(town):
    orders(1, town.a, category("书法"), staff=town.staff_a)
    v = venue(town.a, hours=[(MON, time(8), time(12))])
    booking_create(venue=v, starts_at=at(on(town, MON, 8), 9), ends_at=at(on(town, MON, 8), 10))
    # Its orders are then told "no time" (no_common_slot), not "no room" (no_venue).
    assert [(x.id, x.slots) for x in built(town).instance.venues] == [(v.pk, ())]
