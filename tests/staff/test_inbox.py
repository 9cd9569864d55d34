"""The order inbox: filters, dispatch into a class with a free place, or leave the order in the matching pool."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities import desk_services as desk
from activities import orders
from activities.enums import RegistrationStatus
from activities.models import Course, Order, Registration
from interests.enums import OrderStatus
from tests.admin.helpers import admin_url, changelist_pks, messages_of
from tests.factories import CourseFactory, GridFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def act(client, action, pks, **extra):
    data = {"action": action, "_selected_action": [str(pk) for pk in pks], "index": 0, **extra}
    return client.post(admin_url(Order, "changelist"), data, follow=True)


@pytest.fixture
def accepted(world):
    return orders.order_accept(order=world.a.order, actor=world.community_staff)


def open_course(node, **kwargs):
    return CourseFactory(community=node.community, category=node.order.category, capacity=5, **kwargs)


def test_age_filter_buckets_orders_by_how_long_they_wait(world, login):
    old = world.a.order
    Order.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    fresh = orders.order_place(resident=ResidentFactory(profile__community=world.a.community), category=old.category)
    client = login(world.community_staff)
    assert changelist_pks(client.get(admin_url(Order, "changelist") + "?age=old")) == {old.pk}
    assert changelist_pks(client.get(admin_url(Order, "changelist") + "?age=1d")) == {fresh.pk}
    response = client.get(admin_url(Order, "changelist"))
    assert [o.pk for o in response.context["cl"].result_list] == [old.pk, fresh.pk]  # oldest first


def test_grid_filter_lists_only_grids_in_scope_and_narrows_to_residents_of_the_grid(world, login):
    grid = GridFactory(community=world.a.community, name="三号网格")
    other = GridFactory(community=world.b.community, name="外社区网格")
    profile = world.a.resident.profile
    profile.grid = grid
    profile.save()
    client = login(world.community_staff)
    html = client.get(admin_url(Order, "changelist")).content.decode()
    assert "三号网格" in html and "外社区网格" not in html
    assert changelist_pks(client.get(admin_url(Order, "changelist") + f"?grid={grid.pk}")) == {world.a.order.pk}
    assert changelist_pks(client.get(admin_url(Order, "changelist") + f"?grid={other.pk}")) == set()


def test_dispatch_page_offers_classes_of_the_same_interest_with_free_places_in_scope(world, login, accepted):
    good = open_course(world.a)
    full = open_course(world.a, title="已满班")
    Course.objects.filter(pk=full.pk).update(confirmed_count=5)
    other_node = CourseFactory(community=world.b.community, category=accepted.category, title="外社区班")
    page = act(login(world.community_staff), "dispatch_orders", [accepted.pk])
    rows = page.context["rows"]
    # The node's own class (same interest, places free) and the new one; not the full one, not B's.
    assert [(order.pk, {c.pk for c in courses}) for order, courses in rows] == [
        (accepted.pk, {world.a.course.pk, good.pk})
    ]
    assert other_node.title not in page.content.decode()
    assert "matching pool" in page.content.decode()


def test_dispatch_registers_the_resident_and_dispatches_the_order_in_one_step(world, login, accepted):
    course = open_course(world.a)
    staff = world.community_staff
    response = act(login(staff), "dispatch_orders", [accepted.pk], apply="1", **{f"course_{accepted.pk}": course.pk})
    order = Order.objects.get(pk=accepted.pk)
    assert (order.status, order.course_id) == (OrderStatus.DISPATCHED, course.pk)
    assert order.events.latest("id").actor == staff
    registration = Registration.objects.get(order=order)
    assert (registration.course_id, registration.status, registration.placed_by) == (
        course.pk, RegistrationStatus.CONFIRMED, staff,
    )
    assert Course.objects.get(pk=course.pk).confirmed_count == 1
    assert messages_of(response) == ["1 order dispatched into a class."]
    # Who and when is in the order's history, visible in the admin.
    assert order.history.latest().history_user == staff
    history = login(staff).get(admin_url(Order, "history", order.pk))
    assert history.status_code == 200


def test_leaving_an_order_in_the_pool_keeps_it_accepted(world, login, accepted):
    open_course(world.a)
    response = act(login(world.community_staff), "dispatch_orders", [accepted.pk], apply="1")
    assert Order.objects.get(pk=accepted.pk).status == OrderStatus.ACCEPTED
    assert messages_of(response) == ["1 order stays accepted in the pool of the matching service."]


def test_dispatch_of_a_submitted_order_is_refused(world, login):
    response = act(login(world.community_staff), "dispatch_orders", [world.a.order.pk])
    assert messages_of(response) == ["Only accepted orders can be dispatched: accept them first."]
    assert Order.objects.get(pk=world.a.order.pk).status == OrderStatus.SUBMITTED


def test_dispatch_into_a_class_that_filled_meanwhile_writes_nothing(world, accepted):
    course = open_course(world.a)
    Course.objects.filter(pk=course.pk).update(confirmed_count=5)
    with pytest.raises(desk.ConflictError):
        desk.order_dispatch_into_course(order=accepted, course=course, actor=world.community_staff)
    assert Order.objects.get(pk=accepted.pk).status == OrderStatus.ACCEPTED
    assert not Registration.objects.filter(order=accepted).exists()


def test_dispatch_into_another_communitys_class_is_refused(world, accepted):
    course = CourseFactory(community=world.b.community, category=accepted.category)
    with pytest.raises(desk.ScopeError):
        desk.order_dispatch_into_course(order=accepted, course=course, actor=world.community_staff)
    assert not Registration.objects.filter(order=accepted).exists()


def test_dispatch_into_a_class_of_another_interest_is_refused(world, accepted):
    course = CourseFactory(community=world.a.community)
    with pytest.raises(desk.ConflictError):
        desk.order_dispatch_into_course(order=accepted, course=course, actor=world.community_staff)
    assert Order.objects.get(pk=accepted.pk).status == OrderStatus.ACCEPTED


def test_dispatch_of_a_submitted_order_rolls_the_registration_back(world):
    course = open_course(world.a)
    with pytest.raises(desk.ConflictError):
        desk.order_dispatch_into_course(order=world.a.order, course=course, actor=world.community_staff)
    assert not Registration.objects.filter(order=world.a.order).exists()
    assert Course.objects.get(pk=course.pk).confirmed_count == 0


def test_district_office_cannot_dispatch(world, login, accepted):
    course = open_course(world.a)
    act(login(world.district_office), "dispatch_orders", [accepted.pk], apply="1", **{f"course_{accepted.pk}": course.pk})
    assert Order.objects.get(pk=accepted.pk).status == OrderStatus.ACCEPTED
