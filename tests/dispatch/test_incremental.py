"""Incremental placement: a newly accepted order goes straight into an open class that fits it."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activities import orders as order_services
from activities.dispatch.incremental import order_place_in_open_class, placement_candidates
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Order, Registration
from activities.tasks import place_accepted_order
from community_college.models import Weekday
from interests.enums import OrderStatus
from ops.models import OutboxMessage

from .helpers import accepted, category, open_class, resident

MON = Weekday.MONDAY


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process even when REDIS_URL is set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def place(order, town):
    return order_place_in_open_class(order=order, actor=town.staff_a)


def test_order_fitting_an_open_class_is_placed_and_dispatched(town):
    cat = category("瑜伽")
    course = open_class(town, cat, km=0.5)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    registration = place(order, town)
    order.refresh_from_db()
    course.refresh_from_db()
    assert (registration.course, registration.status, registration.order) == (
        course,
        RegistrationStatus.CONFIRMED,
        order,
    )
    assert (order.status, order.course, course.confirmed_count) == (OrderStatus.DISPATCHED, course, 1)
    last = order.events.order_by("id").last()
    assert (last.from_status, last.to_status, last.actor) == (
        OrderStatus.ACCEPTED,
        OrderStatus.DISPATCHED,
        town.staff_a,
    )


@pytest.mark.parametrize(
    "case",
    [
        "other_interest",
        "too_far",
        "full",
        "closed",
        "over",
        "no_meeting_left",
        "other_community",
        "already_in",
    ],
)
def test_order_stays_accepted_when_no_class_fits(town, case):
    cat = category("瑜伽")
    kwargs = {}
    if case == "other_interest":
        course = open_class(town, category("书法"))
    elif case == "too_far":
        course = open_class(town, cat, km=1.45)  # home at 0.2 km: 1.25 km away
    elif case == "full":
        course = open_class(town, cat, capacity=3, taken=3)
    elif case == "closed":
        course = open_class(town, cat, status=CourseStatus.CLOSED)
    elif case == "over":
        course = open_class(town, cat)
        town.term.ends_on = timezone.localdate() - timedelta(days=1)
        town.term.starts_on = town.term.ends_on - timedelta(days=60)
        town.term.save()
    elif case == "no_meeting_left":
        course = open_class(town, cat)
        course.sessions.update(
            starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=2, hours=-1)
        )
    elif case == "other_community":
        # Near enough to walk, but in a community the accepting staff member does not run.
        course = open_class(town, cat, km=0.3, community=town.b)
    elif case == "already_in":
        course = open_class(town, cat, capacity=3, taken=3)
        kwargs["waiting"] = True
    person = resident(town.a, km=0.2)
    if kwargs.get("waiting"):
        Registration.objects.create(course=course, resident=person, status=RegistrationStatus.WAITLISTED)
    order = accepted(person, cat, town.staff_a)
    assert place(order, town) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert Registration.objects.filter(order=order).count() == 0


def test_slot_outside_the_residents_free_times_does_not_fit(town):
    cat = category("瑜伽")
    open_class(town, cat)  # Monday 9:00
    order = accepted(resident(town.a, km=0.2, free=[(Weekday.TUESDAY, time(8), time(12))]), cat, town.staff_a)
    assert place(order, town) is None
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED


def test_slot_inside_the_residents_free_times_fits(town):
    cat = category("瑜伽")
    course = open_class(town, cat)
    order = accepted(resident(town.a, km=0.2, free=[(MON, time(8), time(12))]), cat, town.staff_a)
    assert place(order, town).course == course


def test_preferred_slots_of_the_order_come_before_free_times(town):
    cat = category("瑜伽")
    open_class(town, cat)  # Monday
    tuesday = open_class(town, cat, km=0.9, slot=town.tue)
    person = resident(town.a, km=0.2, free=[(MON, time(8), time(12))])
    order = accepted(person, cat, town.staff_a, preferred=[town.tue])
    assert place(order, town).course == tuesday


def test_class_in_the_slot_of_another_class_of_the_resident_does_not_fit(town):
    cat = category("瑜伽")
    open_class(town, cat)
    person = resident(town.a, km=0.2)
    elsewhere = open_class(town, category("书法"), km=3.0)
    Registration.objects.create(course=elsewhere, resident=person, status=RegistrationStatus.CONFIRMED)
    assert place(accepted(person, cat, town.staff_a), town) is None


def test_the_nearest_class_is_chosen_then_the_emptiest(town):
    cat = category("瑜伽")
    open_class(town, cat, km=1.0)
    near_full = open_class(town, cat, km=0.5, capacity=10, taken=8, slot=town.tue)
    near_empty = open_class(town, cat, km=0.5, capacity=10, taken=2, slot=town.wed_evening)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    ranked = placement_candidates(order=order, actor=town.staff_a)
    assert [c.course for c in ranked][:2] == [near_empty, near_full]
    assert [round(c.walk_km, 3) for c in ranked] == [0.3, 0.3, 0.8]
    assert place(order, town).course == near_empty


def test_placement_candidates_take_a_bounded_number_of_queries(town, django_assert_num_queries):
    cat = category("瑜伽")
    for i in range(3):
        open_class(town, cat, km=0.1 * i)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    order = Order.objects.select_related("resident__profile", "community").get(pk=order.pk)
    town.staff_a._cc_scope = None
    # 1 the staff member's roles (their scope), 2 the order's preferred slots, 3 the resident's free times,
    # 4 the slots of the resident's classes, 5 the candidate classes with venue, slot and community.
    with django_assert_num_queries(5):
        assert len(placement_candidates(order=order, actor=town.staff_a)) == 3


def test_system_acceptance_places_nothing(town):
    cat = category("瑜伽")
    open_class(town, cat)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    assert order_place_in_open_class(order=order, actor=None) is None


def test_placement_is_enqueued_only_when_the_acceptance_commits(town, django_capture_on_commit_callbacks):
    cat = category("瑜伽")
    course = open_class(town, cat)
    order = order_services.order_place(resident=resident(town.a, km=0.2), category=cat)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_services.order_accept(order=order, actor=town.staff_a)
    # Not placed inside the transaction that accepts: the task reads committed rows.
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED
    assert Registration.objects.filter(course=course).count() == 0
    # The placement goes through the transactional outbox (ops/outbox.py): a message written with the
    # acceptance, published by an on-commit callback that carries it.
    placing = [c for c in callbacks if getattr(c, "args", None) and c.args[0].task_name.endswith("place_accepted_order")]
    assert len(placing) == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [
        "notices.tasks.notify_order",
        "activities.tasks.place_accepted_order",
    ]
    placing[0]()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DISPATCHED
    assert Registration.objects.get(course=course).order_id == order.pk


def test_placement_is_not_enqueued_when_the_acceptance_rolls_back(town, django_capture_on_commit_callbacks):
    from django.db import transaction

    cat = category("瑜伽")
    open_class(town, cat)
    order = order_services.order_place(resident=resident(town.a, km=0.2), category=cat)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        order_services.order_accept(order=order, actor=town.staff_a)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


def test_task_takes_ids_and_runs_twice_harmlessly(town):
    cat = category("瑜伽")
    course = open_class(town, cat)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    first = place_accepted_order.apply(args=(order.pk, town.staff_a.pk)).get()
    assert first == Registration.objects.get(course=course).pk
    assert place_accepted_order.apply(args=(order.pk, town.staff_a.pk)).get() is None
    assert place_accepted_order.apply(args=(order.pk + 999, None)).get() is None
    course.refresh_from_db()
    assert course.confirmed_count == 1


def test_order_held_by_a_proposal_is_left_to_it(town, yoga):
    from activities.dispatch import service as dispatch

    run = dispatch.match_run(node=town.a, term=town.term, time_limit=5).run
    assert run.classes == 1
    open_class(town, yoga.category, slot=town.tue)
    assert place(yoga.orders[0], town) is None


@pytest.mark.django_db(transaction=True)
def test_two_orders_racing_for_the_last_place_never_oversell(on_postgres, town):
    cat = category("瑜伽")
    # Accepted before the class opens: here every commit is real, and each acceptance would place its
    # order at once (the same service, run by the task) if the class already existed.
    racing = [accepted(resident(town.a, km=0.2), cat, town.staff_a) for _ in range(4)]
    course = open_class(town, cat, capacity=3, taken=2)
    barrier = threading.Barrier(len(racing))
    errors, placed = [], []

    def run(order):
        try:
            barrier.wait()
            placed.append(order_place_in_open_class(order=order, actor=town.staff_a))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(o,)) for o in racing]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    course.refresh_from_db()
    assert course.confirmed_count == 3
    statuses = sorted(Order.objects.filter(pk__in=[o.pk for o in racing]).values_list("status", flat=True))
    assert statuses == [OrderStatus.ACCEPTED] * 3 + [OrderStatus.DISPATCHED]
    # The losers keep no waiting-list place: their tries were rolled back.
    assert Registration.objects.filter(course=course, status=RegistrationStatus.WAITLISTED).count() == 0
    assert len([p for p in placed if p is not None]) == 1


@pytest.mark.django_db(transaction=True)
def test_acceptance_committed_for_real_places_the_order_at_once(town):
    cat = category("瑜伽")
    course = open_class(town, cat)
    order = accepted(resident(town.a, km=0.2), cat, town.staff_a)
    order.refresh_from_db()
    assert (order.status, order.course) == (OrderStatus.DISPATCHED, course)
