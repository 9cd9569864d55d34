"""The order inbox's actions accept (接单) and reject: thin calls of the order services."""

import pytest

from activities import orders
from activities.enums import RegistrationStatus
from activities.models import Order, Registration
from interests.enums import OrderStatus
from tests.factories import CategoryFactory, RegistrationFactory, ResidentFactory
from venues.enums import BookingStatus
from venues.models import Booking

from .helpers import admin_url, changelist_pks, messages_of

pytestmark = pytest.mark.django_db


def act(client, model, action, pks, **extra):
    data = {"action": action, "_selected_action": [str(pk) for pk in pks], "index": 0, **extra}
    # From the list of all orders: the default inbox view lists new and waiting orders only (issue 19),
    # and a rejected order can only be selected where it is listed.
    query = "?status=all" if model is Order else ""
    return client.post(f"{admin_url(model, 'changelist')}{query}", data, follow=True)


def test_accept_goes_through_the_service_and_stamps_who(world, login):
    staff = world.community_staff
    response = act(login(staff), Order, "accept_orders", [world.a.order.pk])
    order = Order.objects.get(pk=world.a.order.pk)
    assert (order.status, order.accepted_at is not None) == (OrderStatus.ACCEPTED, True)
    assert list(order.events.order_by("id").values_list("to_status", "actor")) == [
        (OrderStatus.SUBMITTED, world.a.resident.pk),
        (OrderStatus.ACCEPTED, staff.pk),
    ]
    assert messages_of(response) == ["1 order accepted."]


def test_reject_with_a_reason_records_it_for_the_resident(world, login):
    staff = world.community_staff
    response = act(login(staff), Order, "reject_orders", [world.a.order.pk], reason="本社区暂无场地")
    order = Order.objects.get(pk=world.a.order.pk)
    assert (order.status, order.reject_reason) == (OrderStatus.REJECTED, "本社区暂无场地")
    assert order.events.latest("id").actor == staff
    assert order.events.latest("id").note == "本社区暂无场地"
    assert messages_of(response) == ["1 order rejected."]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_a_reason_changes_nothing(world, login, reason):
    response = act(login(world.community_staff), Order, "reject_orders", [world.a.order.pk], reason=reason)
    order = Order.objects.get(pk=world.a.order.pk)
    assert (order.status, order.events.count()) == (OrderStatus.SUBMITTED, 1)
    assert messages_of(response) == ["Write the reason for the rejection next to the action: the resident reads it."]


def test_action_on_another_communitys_order_cannot_reach_it(world, login):
    client = login(world.community_staff)
    response = act(client, Order, "accept_orders", [world.b.order.pk])
    assert Order.objects.get(pk=world.b.order.pk).status == OrderStatus.SUBMITTED
    assert messages_of(response) == ["Nothing to do: no selected row is in your scope."]
    # Not even listed to be selected.
    assert world.b.order.pk not in changelist_pks(client.get(admin_url(Order, "changelist")))


def test_each_refusal_is_reported_with_its_reason_and_the_rest_go_through(world, login):
    staff = world.community_staff
    closed = world.a.order
    orders.order_reject(order=closed, actor=staff, reason="重复")
    fresh = orders.order_place(resident=ResidentFactory(profile__community=world.a.community), category=CategoryFactory())
    response = act(login(staff), Order, "accept_orders", [closed.pk, fresh.pk])
    assert Order.objects.get(pk=fresh.pk).status == OrderStatus.ACCEPTED
    assert Order.objects.get(pk=closed.pk).status == OrderStatus.REJECTED
    done, refused = messages_of(response)
    assert done == "1 order accepted."
    assert refused.startswith("Refused (1): ") and "cannot become" in refused and f"#{closed.pk}" in refused


def test_district_office_has_no_actions(world, login):
    client = login(world.district_office)
    page = client.get(admin_url(Order, "changelist"))
    assert page.context["action_form"] is None or "accept_orders" not in dict(
        page.context["action_form"].fields["action"].choices
    )
    act(client, Order, "accept_orders", [world.a.order.pk])
    assert Order.objects.get(pk=world.a.order.pk).status == OrderStatus.SUBMITTED


def test_inbox_counts_orders_per_status_in_the_scope(world, login):
    orders.order_accept(order=world.a.order, actor=world.community_staff)
    html = login(world.community_staff).get(admin_url(Order, "changelist")).content.decode()
    assert '?status=submitted">Submitted (0)' in html
    assert '?status=accepted">Accepted (1)' in html


# --- the other service actions ---------------------------------------------------------------------------------


def test_cancelling_a_confirmed_registration_moves_the_waiting_list_up(world, login):
    course = world.a.course
    course.capacity = 1
    course.confirmed_count = 1
    course.save()
    Registration.objects.filter(pk=world.a.registration.pk).update(status=RegistrationStatus.CONFIRMED)
    waiting = RegistrationFactory(course=course, resident=ResidentFactory(profile__community=world.a.community))
    response = act(login(world.community_staff), Registration, "cancel_registrations", [world.a.registration.pk])
    assert Registration.objects.get(pk=world.a.registration.pk).status == RegistrationStatus.CANCELLED
    assert Registration.objects.get(pk=waiting.pk).status == RegistrationStatus.CONFIRMED
    assert messages_of(response) == ["1 registration cancelled."]


def test_bookings_are_confirmed_and_cancelled_through_the_service(world, login):
    client = login(world.community_staff)
    Booking.objects.filter(pk=world.a.booking.pk).update(status=BookingStatus.PENDING)
    act(client, Booking, "confirm_bookings", [world.a.booking.pk])
    assert Booking.objects.get(pk=world.a.booking.pk).status == BookingStatus.CONFIRMED
    response = act(client, Booking, "confirm_bookings", [world.a.booking.pk])
    assert messages_of(response)[0].startswith("Refused (1): ")
    act(client, Booking, "cancel_bookings", [world.a.booking.pk, world.b.booking.pk])
    assert Booking.objects.get(pk=world.a.booking.pk).status == BookingStatus.CANCELLED
    assert Booking.objects.get(pk=world.b.booking.pk).status == BookingStatus.CONFIRMED
