"""Waiting list → second class: a long enough waiting list becomes a proposed second class."""

from __future__ import annotations

from dataclasses import dataclass

from activities import orders as order_services
from activities.dispatch import service as dispatch
from activities.dispatch.build import build_instance
from activities.dispatch.incremental import order_place_in_open_class
from activities.dispatch.waitlist import waitlist_orders_create
from activities.enums import RegistrationStatus
from activities.models import Order, Registration
from activities.services import registration_cancel, registration_create
from interests.enums import OrderStatus

from .helpers import category, open_class, resident, teacher, venue


@dataclass
class Waiting:
    category: object
    first: object  # the full class, on Tuesdays
    waiting: list  # residents on its waiting list, in the order they joined
    venue: object  # a room for the second class, on Mondays
    teacher: object


def waiting_for(town, n: int) -> Waiting:
    """A full yoga class on Tuesdays with `n` residents waiting; a free teacher and room on Mondays."""
    cat = category("瑜伽", min_size=3, max_size=10, facilities=("dance_mirror",))
    first = open_class(town, cat, slot=town.tue, capacity=2, taken=2)
    people = [resident(town.a, km=0.2) for _ in range(n)]
    for person in people:
        assert registration_create(course=first, resident=person).status == RegistrationStatus.WAITLISTED
    return Waiting(
        category=cat,
        first=first,
        waiting=people,
        venue=venue(town.a, facilities=("dance_mirror",), name="文明实践站"),
        teacher=teacher([cat], km=1.0, name="王老师"),
    )


def run_a(town):
    return dispatch.match_run(node=town.a, term=town.term, time_limit=5).run


def test_waiting_list_below_the_minimum_size_proposes_nothing(town):
    w = waiting_for(town, 2)
    run = run_a(town)
    assert (run.classes, run.orders_total) == (0, 0)
    assert Order.objects.filter(resident__in=w.waiting).count() == 0
    assert set(
        Registration.objects.filter(course=w.first, resident__in=w.waiting).values_list("order", flat=True)
    ) == {None}


def test_waiting_list_at_the_minimum_size_gets_a_second_class_proposed(town):
    w = waiting_for(town, 3)
    run = run_a(town)
    made = Order.objects.filter(resident__in=w.waiting).order_by("pk")
    assert [(o.category, o.status, o.community) for o in made] == [
        (w.category, OrderStatus.ACCEPTED, town.a)
    ] * 3
    # The record says where each order came from: its waiting-list entry points at it.
    entries = Registration.objects.filter(course=w.first, status=RegistrationStatus.WAITLISTED).order_by("pk")
    assert [e.order_id for e in entries] == [o.pk for o in made]
    assert all(o.note for o in made)
    assert run.classes == 1
    (pc,) = run.proposed_classes.all()
    assert (pc.category, pc.venue, pc.teacher, pc.slot, pc.size) == (
        w.category,
        w.venue,
        w.teacher,
        town.mon,
        3,
    )
    assert sorted(pc.placements.values_list("order_id", flat=True)) == [o.pk for o in made]


def test_confirming_moves_the_residents_and_a_rerun_makes_nothing_twice(town):
    w = waiting_for(town, 3)
    pc = run_a(town).proposed_classes.get()
    course = dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    mine = Registration.objects.filter(resident__in=w.waiting)
    assert (
        sorted(mine.filter(course=course).values_list("status", flat=True))
        == [RegistrationStatus.CONFIRMED] * 3
    )
    assert (
        sorted(mine.filter(course=w.first).values_list("status", flat=True))
        == [RegistrationStatus.CANCELLED] * 3
    )
    w.first.refresh_from_db()
    assert w.first.confirmed_count == 2  # leaving a waiting list frees no place
    assert set(Order.objects.filter(resident__in=w.waiting).values_list("status", "course")) == {
        (OrderStatus.DISPATCHED, course.pk)
    }
    orders_before, registrations_before = Order.objects.count(), Registration.objects.count()
    again = run_a(town)
    assert (again.classes, again.orders_total) == (0, 0)
    assert (Order.objects.count(), Registration.objects.count()) == (orders_before, registrations_before)


def test_rerun_before_confirming_makes_no_second_order(town):
    w = waiting_for(town, 3)
    run_a(town)
    again = run_a(town)
    assert Order.objects.filter(resident__in=w.waiting).count() == 3
    assert again.classes == 0
    assert again.proposed_classes.count() == 0


def test_residents_with_an_open_order_for_the_interest_are_already_demand(town):
    w = waiting_for(town, 3)
    own = order_services.order_place(resident=w.waiting[0], category=w.category)
    run_a(town)
    assert list(Order.objects.filter(resident=w.waiting[0])) == [own]
    assert Order.objects.filter(resident__in=w.waiting[1:]).count() == 2


def test_an_entry_moved_up_meanwhile_fulfils_its_order_in_the_first_class(town):
    w = waiting_for(town, 3)
    run = run_a(town)
    dispatch.proposed_class_discard(proposed=run.proposed_classes.get(), actor=None)
    # Someone in the first class leaves: the first on the waiting list moves up.
    leaver = Registration.objects.filter(course=w.first, status=RegistrationStatus.CONFIRMED).first()
    promoted = registration_cancel(registration=leaver, actor=leaver.resident)
    assert promoted.resident == w.waiting[0]
    run_a(town)
    order = Order.objects.get(resident=w.waiting[0])
    assert (order.status, order.course) == (OrderStatus.DISPATCHED, w.first)
    # The two still waiting stay demand for a second class (below the minimum of three now).
    assert set(Order.objects.filter(resident__in=w.waiting[1:]).values_list("status", flat=True)) == {
        OrderStatus.ACCEPTED
    }


def test_a_dry_run_writes_no_order(town):
    w = waiting_for(town, 3)
    outcome = dispatch.match_run(node=town.a, term=town.term, time_limit=5, dry_run=True)
    assert outcome.run is None
    assert Order.objects.filter(resident__in=w.waiting).count() == 0


def test_a_waiting_resident_without_a_location_sits_at_the_venue_they_waited_for(town):

    cat = category("瑜伽", min_size=3, max_size=10)
    first = open_class(town, cat, km=0.6, slot=town.tue, capacity=1, taken=1)
    people = [resident(town.a, km=0.2) for _ in range(3)]
    people[0].profile.latitude = people[0].profile.longitude = None
    people[0].profile.save()
    for person in people:
        registration_create(course=first, resident=person)
    made = waitlist_orders_create(community_ids=[town.a.pk])
    assert len(made) == 3
    where = {o.id: (o.lat, o.lon) for o in build_instance(node=town.a, term=town.term).instance.orders}
    assert where[made[0].pk] == (first.venue.latitude, first.venue.longitude)
    assert where[made[1].pk] == (people[1].profile.latitude, people[1].profile.longitude)


def test_placed_at_once_into_an_open_class_the_waiting_list_entry_is_given_up(town):

    w = waiting_for(town, 3)
    (order, *_rest) = waitlist_orders_create(community_ids=[town.a.pk])
    other = open_class(town, w.category, km=0.5, slot=town.wed_evening)
    registration = order_place_in_open_class(order=order, actor=town.staff_a)
    assert registration.course == other
    entry = Registration.objects.get(course=w.first, resident=order.resident)
    assert entry.status == RegistrationStatus.CANCELLED


def test_the_match_command_says_how_many_orders_it_made_from_waiting_lists(town):
    from io import StringIO

    from django.core.management import call_command

    waiting_for(town, 3)
    out = StringIO()
    call_command(
        "match",
        "--scope",
        "community",
        "--node",
        str(town.a.pk),
        "--term",
        str(town.term.pk),
        "--time-limit",
        "5",
        stdout=out,
    )
    assert "Waiting lists: 3 orders made" in out.getvalue()


def test_a_showcase_audience_waiting_list_is_not_demand_for_a_second_class(town):
    """A showcase's audience course (kind "showcase") is a one-off event: its waiting list makes no orders."""
    from activities.enums import CourseKind
    from activities.models import Course

    w = waiting_for(town, 3)
    Course.objects.filter(pk=w.first.pk).update(kind=CourseKind.SHOWCASE)
    assert waitlist_orders_create(community_ids=[town.a.pk]) == []
    assert Order.objects.filter(resident__in=w.waiting).count() == 0
