"""The order steps after 接单 record who took them, on that order only (issue 23, mutants of activities/orders.py):
派单 keeps the class and the dispatcher, 返单 the resident, and 接单 asks for the placement of that order by
that actor. Two communities, two orders each time; the others are compared before and after."""

import pytest

from activities import orders, signals
from activities.models import Order, OrderEvent
from community_college.errors import ScopeError
from interests.enums import OrderStatus
from tests.factories import CategoryFactory
from tests.factories.pairs import snapshot, two_of_everything

pytestmark = pytest.mark.django_db

FIELDS = ("status", "accepted_at", "dispatched_at", "completed_at", "closed_at", "course_id", "reject_reason")


@pytest.fixture
def pair():
    return two_of_everything()


def _accepted(pair, community):
    order = orders.order_place(resident=pair.resident(community), category=CategoryFactory())
    return orders.order_accept(order=order, actor=pair.staff_a if community == pair.a else pair.staff_b)


def _last_event(order):
    return OrderEvent.objects.filter(order=order).order_by("id").last()


def test_dispatch_and_complete_record_the_class_and_who_on_that_order_only(pair):
    order, neighbour, elsewhere = _accepted(pair, pair.a), _accepted(pair, pair.a), _accepted(pair, pair.b)
    before = snapshot(Order.objects.filter(pk__in=[neighbour.pk, elsewhere.pk]), *FIELDS)
    orders.order_dispatch(order=order, actor=pair.staff_a, course=pair.a2)
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.course_id, row.dispatched_at is not None) == (
        OrderStatus.DISPATCHED,
        pair.a2.pk,
        True,
    )
    event = _last_event(order)
    assert (event.from_status, event.to_status, event.actor) == (
        OrderStatus.ACCEPTED,
        OrderStatus.DISPATCHED,
        pair.staff_a,
    )
    orders.order_complete(order=order, actor=row.resident)
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.course_id, row.completed_at is not None) == (
        OrderStatus.COMPLETED,
        pair.a2.pk,
        True,
    )
    event = _last_event(order)
    assert (event.from_status, event.to_status, event.actor) == (
        OrderStatus.DISPATCHED,
        OrderStatus.COMPLETED,
        row.resident,
    )
    assert snapshot(Order.objects.filter(pk__in=[neighbour.pk, elsewhere.pk]), *FIELDS) == before


def test_dispatch_by_staff_of_another_community_is_refused(pair):
    order, other = _accepted(pair, pair.a), _accepted(pair, pair.b)
    before = snapshot(Order.objects.all(), *FIELDS)
    with pytest.raises(ScopeError):
        orders.order_dispatch(order=order, actor=pair.staff_b, course=pair.b1)
    assert snapshot(Order.objects.all(), *FIELDS) == before
    orders.order_dispatch(order=other, actor=pair.staff_b, course=pair.b1)
    assert Order.objects.get(pk=other.pk).course_id == pair.b1.pk
    assert Order.objects.get(pk=order.pk).course_id is None


def test_accept_asks_for_the_placement_of_that_order_by_that_actor(pair):
    heard = []

    def listener(sender, order_id, actor_id, **kwargs):
        heard.append((sender, order_id, actor_id))

    signals.order_accepted.connect(listener)
    try:
        first = orders.order_place(resident=pair.resident(), category=CategoryFactory())
        second = orders.order_place(resident=pair.resident(pair.b), category=CategoryFactory())
        system = orders.order_place(resident=pair.resident(), category=CategoryFactory())
        orders.order_accept(order=first, actor=pair.staff_a)
        orders.order_accept(order=second, actor=pair.staff_b)
        orders.order_accept(order=system, actor=None)
    finally:
        signals.order_accepted.disconnect(listener)
    assert heard == [
        (Order, first.pk, pair.staff_a.pk),
        (Order, second.pk, pair.staff_b.pk),
        (Order, system.pk, None),
    ]
    assert _last_event(first).actor == pair.staff_a
    assert _last_event(second).actor == pair.staff_b
    assert _last_event(system).actor is None
