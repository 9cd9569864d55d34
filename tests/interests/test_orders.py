import pytest
from django.db import IntegrityError, transaction

from accounts.enums import Role
from activities import orders
from activities.models import Order, OrderEvent
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests.enums import OrderChannel, OrderStatus
from tests.factories import CategoryFactory, CommunityFactory, CourseFactory, ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return CommunityFactory()


@pytest.fixture
def staff(community):
    return StaffFactory(role=Role.COMMUNITY_STAFF, community=community)


@pytest.fixture
def resident(community):
    return ResidentFactory(profile__community=community)


def test_order_place_goes_to_the_residents_community(resident, community):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    assert (order.status, order.community, order.placed_by) == (OrderStatus.SUBMITTED, community, resident)
    assert list(order.events.values_list("to_status", "actor")) == [(OrderStatus.SUBMITTED, resident.pk)]


def test_order_full_loop_is_stamped_with_who_and_when(resident, staff, community):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    orders.order_accept(order=order, actor=staff)
    course = CourseFactory(community=community, category=order.category)
    orders.order_dispatch(order=order, actor=staff, course=course)
    orders.order_complete(order=order, actor=resident)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.course == course
    assert order.submitted_at <= order.accepted_at <= order.dispatched_at <= order.completed_at
    timeline = list(order.events.order_by("at", "id").values_list("from_status", "to_status", "actor"))
    assert timeline == [
        ("", "submitted", resident.pk),
        ("submitted", "accepted", staff.pk),
        ("accepted", "dispatched", staff.pk),
        ("dispatched", "completed", resident.pk),
    ]


def test_order_submitted_straight_to_completed_is_refused(resident):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(InvalidTransition) as excinfo:
        orders.order_complete(order=order, actor=resident)
    assert excinfo.value.code == "invalid_transition"
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    assert order.events.count() == 1


@pytest.mark.parametrize("final", [OrderStatus.REJECTED, OrderStatus.CANCELLED])
def test_order_closed_cannot_be_reopened(resident, staff, final):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    if final == OrderStatus.REJECTED:
        orders.order_reject(order=order, actor=staff, reason="本社区暂无场地")
    else:
        orders.order_cancel(order=order, actor=resident)
    with pytest.raises(InvalidTransition):
        orders.order_accept(order=order, actor=staff)
    assert Order.objects.get(pk=order.pk).status == final


def test_order_reject_requires_a_reason(resident, staff):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(ConflictError) as excinfo:
        orders.order_reject(order=order, actor=staff, reason="  ")
    assert excinfo.value.code == "reason_required"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


def test_order_rejection_without_reason_is_refused_by_the_database(resident):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.REJECTED, reject_reason="")


def test_order_accepted_without_stamp_is_refused_by_the_database(resident):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACCEPTED)


def test_order_staff_of_another_community_cannot_accept(resident):
    other_staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=CommunityFactory())
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(ScopeError):
        orders.order_accept(order=order, actor=other_staff)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_order_street_staff_can_accept_in_their_street(resident, community):
    street_staff = StaffFactory(role=Role.STREET_STAFF, street=community.street)
    order = orders.order_place(resident=resident, category=CategoryFactory())
    orders.order_accept(order=order, actor=street_staff)
    assert order.status == OrderStatus.ACCEPTED


def test_order_district_office_reads_but_cannot_accept(resident, community):
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=community.street.district)
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(ScopeError):
        orders.order_accept(order=order, actor=office)


def test_order_resident_cannot_accept_their_own(resident):
    order = orders.order_place(resident=resident, category=CategoryFactory())
    with pytest.raises(ScopeError):
        orders.order_accept(order=order, actor=resident)


def test_order_double_submit_makes_one_order(resident):
    category = CategoryFactory()
    orders.order_place(resident=resident, category=category)
    with pytest.raises(ConflictError) as excinfo:
        orders.order_place(resident=resident, category=category)
    assert excinfo.value.code == "duplicate_order"
    assert Order.objects.filter(resident=resident).count() == 1


def test_order_again_after_cancelling_is_allowed(resident):
    category = CategoryFactory()
    first = orders.order_place(resident=resident, category=category)
    orders.order_cancel(order=first, actor=resident)
    second = orders.order_place(resident=resident, category=category)
    assert second.pk != first.pk


def test_order_by_phone_records_who_placed_it(resident, staff):
    order = orders.order_place(resident=resident, category=CategoryFactory(), placed_by=staff, channel=OrderChannel.PHONE)
    assert (order.placed_by, order.channel) == (staff, OrderChannel.PHONE)


def test_order_by_phone_for_another_community_is_refused(resident):
    other_staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=CommunityFactory())
    with pytest.raises(ScopeError):
        orders.order_place(resident=resident, category=CategoryFactory(), placed_by=other_staff)
    assert Order.objects.count() == 0


def test_order_for_a_broad_field_is_refused(resident):
    field = CategoryFactory(name="体育")
    CategoryFactory(name="太极拳", parent=field)
    with pytest.raises(ConflictError) as excinfo:
        orders.order_place(resident=resident, category=field)
    assert excinfo.value.code == "not_leaf"


def test_order_illegal_transition_message_is_translated(resident, staff, settings):
    from django.utils import translation

    order = orders.order_place(resident=resident, category=CategoryFactory())
    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as excinfo:
        orders.order_complete(order=order, actor=resident)
    assert "已提交" in excinfo.value.messages[0]
