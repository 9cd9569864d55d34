"""Orders, groups and profiles: the service changes the target row and leaves every other one alone.

Two communities, two residents' orders, two groups, two profiles; each test asserts the rows that were not
the target are as they were (issue 23's surviving mutants of interests/services.py).
"""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from activities import orders
from activities.models import Order, OrderEvent
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests import services
from interests.enums import OrderChannel, OrderStatus
from interests.models import GroupMembership, ResidentAvailability
from tests.dispatch.helpers import accepted, category, open_class, resident, town  # noqa: F401 — town is a fixture
from tests.factories import (
    CategoryFactory,
    GroupMembershipFactory,
    UserFactory,
    WeeklySlotFactory,
)
from tests.factories.pairs import snapshot, two_of_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return two_of_everything()


def _orders():
    return snapshot(Order.objects.all(), "status", "accepted_at", "closed_at", "community_id", "course_id")


def _place(resident_, **kwargs):
    return orders.order_place(resident=resident_, category=CategoryFactory(), **kwargs)


def _en(call, exc=ConflictError, **kwargs):
    """Run `call` expecting `exc`; the error's English message and code."""
    with translation.override("en"), pytest.raises(exc) as excinfo:
        call(**kwargs)
    return excinfo.value.messages[0], excinfo.value.code


# --- order_place -----------------------------------------------------------------------------------------


def test_order_place_saves_what_was_given_and_its_first_event(pair):
    resident_ = pair.resident()
    slots = [WeeklySlotFactory(code="mon-0900"), WeeklySlotFactory(code="tue-1400", weekday=1, start=time(14), end=time(15))]
    order = _place(resident_, note="  周一上午最好  ", preferred_slots=slots, channel=OrderChannel.PHONE, placed_by=pair.staff_a)
    row = Order.objects.get(pk=order.pk)
    assert (row.community, row.note, row.channel, row.placed_by) == (pair.a, "周一上午最好", OrderChannel.PHONE, pair.staff_a)
    assert set(row.preferred_slots.all()) == set(slots)
    event = OrderEvent.objects.get(order=order)
    assert (event.to_status, event.actor, event.at) == (OrderStatus.SUBMITTED, pair.staff_a, row.submitted_at)


def test_order_place_defaults_to_an_empty_note_placed_by_the_resident(pair):
    resident_ = pair.resident(pair.b)
    order = _place(resident_)
    row = Order.objects.get(pk=order.pk)
    assert (row.note, row.placed_by, row.community, row.channel) == ("", resident_, pair.b, OrderChannel.WEB)
    assert list(row.preferred_slots.all()) == []


def test_order_place_without_a_home_community_is_refused():
    user = UserFactory()
    assert _en(orders.order_place, resident=user, category=CategoryFactory()) == (
        "Choose your home community in your profile before ordering.",
        "no_profile",
    )
    assert Order.objects.count() == 0


def test_order_place_by_staff_of_another_community_is_refused(pair):
    assert _en(
        orders.order_place, ScopeError, resident=pair.resident(), category=CategoryFactory(), placed_by=pair.staff_b
    ) == ("You can only place orders for residents of your own community.", "scope")
    assert Order.objects.count() == 0


def test_order_place_for_a_field_and_twice_are_refused_with_reasons(pair):
    resident_ = pair.resident()
    field = CategoryFactory(name="体育")
    leaf = CategoryFactory(name="太极拳", parent=field)
    assert _en(orders.order_place, resident=resident_, category=field) == (
        "Choose a concrete interest, not a whole field.",
        "not_leaf",
    )
    orders.order_place(resident=resident_, category=leaf)
    assert _en(orders.order_place, resident=resident_, category=leaf) == (
        "You already have an open order for 太极拳.",
        "duplicate_order",
    )
    # Another resident may order the same interest.
    orders.order_place(resident=pair.resident(), category=leaf)
    assert Order.objects.filter(category=leaf).count() == 2


# --- order_transition and its callers ---------------------------------------------------------------------


def test_order_accept_changes_that_order_only(pair):
    mine, same_community, elsewhere = _place(pair.resident()), _place(pair.resident()), _place(pair.resident(pair.b))
    before = _orders()
    orders.order_accept(order=mine, actor=pair.staff_a)
    after = _orders()
    assert after[mine.pk]["status"] == OrderStatus.ACCEPTED
    assert after[mine.pk]["accepted_at"] is not None
    assert {pk: after[pk] for pk in (same_community.pk, elsewhere.pk)} == {
        pk: before[pk] for pk in (same_community.pk, elsewhere.pk)
    }
    assert OrderEvent.objects.filter(order__in=[same_community, elsewhere]).count() == 2


@pytest.mark.parametrize("who", ["resident", "staff_a", "street_staff"])
def test_order_cancel_by_the_resident_or_their_community(pair, who):
    resident_ = pair.resident()
    order, other = _place(resident_), _place(pair.resident())
    actor = resident_ if who == "resident" else getattr(pair, who)
    orders.order_cancel(order=order, actor=actor, reason="搬家了")
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.closed_at is not None) == (OrderStatus.CANCELLED, True)
    event = row.events.order_by("id").last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        OrderStatus.SUBMITTED,
        OrderStatus.CANCELLED,
        actor,
        "搬家了",
    )
    assert Order.objects.get(pk=other.pk).status == OrderStatus.SUBMITTED


def test_order_cancel_without_a_reason_records_an_empty_note(pair):
    resident_ = pair.resident()
    order = _place(resident_)
    orders.order_cancel(order=order, actor=resident_)
    assert order.events.order_by("id").last().note == ""


@pytest.mark.parametrize("who", ["staff_b", "another_resident"])
def test_order_cancel_by_anyone_else_is_refused(pair, who):
    order = _place(pair.resident())
    actor = pair.staff_b if who == "staff_b" else pair.resident()
    before = _orders()
    message, code = _en(orders.order_cancel, ScopeError, order=order, actor=actor)
    assert (message, code) == ("Only the resident or their community can cancel this order.", "scope")
    assert _orders() == before
    assert order.events.count() == 1


def test_order_accept_by_another_community_is_refused_with_its_reason(pair):
    order = _place(pair.resident())
    assert _en(orders.order_accept, ScopeError, order=order, actor=pair.staff_b) == (
        "This order belongs to another community.",
        "scope",
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


def test_order_transition_by_the_system_skips_the_scope_checks(pair):
    order = _place(pair.resident())
    orders.order_accept(order=order, actor=None)
    orders.order_cancel(order=order, actor=None)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert list(order.events.order_by("id").values_list("actor", flat=True)) == [order.resident_id, None, None]


def test_order_reject_keeps_the_reason_and_who(pair):
    order, other = _place(pair.resident()), _place(pair.resident())
    reason = "本社区暂无合适场地，" * 40  # longer than the 300 characters the row keeps
    orders.order_reject(order=order, actor=pair.staff_a, reason=f"  {reason}  ")
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.reject_reason) == (OrderStatus.REJECTED, reason.strip()[:300])
    event = row.events.order_by("id").last()
    assert (event.actor, event.note) == (pair.staff_a, reason.strip()[:300])
    assert Order.objects.get(pk=other.pk).status == OrderStatus.SUBMITTED


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_order_reject_without_a_reason_is_refused(pair, reason):
    order = _place(pair.resident())
    assert _en(orders.order_reject, order=order, actor=pair.staff_a, reason=reason) == (
        "Give the resident a reason for the rejection.",
        "reason_required",
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


def test_order_illegal_step_names_both_states(pair):
    order = _place(pair.resident())
    assert _en(orders.order_complete, InvalidTransition, order=order, actor=None) == (
        "An order that is “Submitted” cannot become “Completed”.",
        "invalid_transition",
    )


@pytest.fixture
def _eager_celery():
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.mark.usefixtures("_eager_celery")
@pytest.mark.parametrize("by", ["staff", "system"])
def test_order_accept_places_that_order_once_committed(town, by, django_capture_on_commit_callbacks):  # noqa: F811
    """接单 enqueues the placement of this order, by this actor: the order lands in the open class."""
    cat = category("瑜伽")
    course = open_class(town, cat, km=0.5)
    waiting = accepted(resident(town.a, km=0.3), cat, town.staff_a)  # accepted outside on_commit: not placed
    order = orders.order_place(resident=resident(town.a, km=0.2), category=cat)
    actor = town.staff_a if by == "staff" else None
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_accept(order=order, actor=actor)
    order.refresh_from_db()
    if by == "staff":
        assert (order.status, order.course) == (OrderStatus.DISPATCHED, course)
        last = order.events.order_by("id").last()
        assert (last.to_status, last.actor) == (OrderStatus.DISPATCHED, town.staff_a)
    else:
        # Accepted by the system (orders made from a waiting list): placement needs a staff member's scope.
        assert (order.status, order.course) == (OrderStatus.ACCEPTED, None)
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.ACCEPTED


# --- groups -----------------------------------------------------------------------------------------------


def test_group_leave_removes_that_membership_only(pair):
    user, neighbour = pair.resident(), pair.resident()
    for group in (pair.group_a, pair.group_b):
        GroupMembershipFactory(group=group, user=user)
        GroupMembershipFactory(group=group, user=neighbour)
    services.group_leave(group=pair.group_a, user=user)
    left = set(GroupMembership.objects.values_list("group_id", "user_id"))
    assert left == {(pair.group_a.pk, neighbour.pk), (pair.group_b.pk, user.pk), (pair.group_b.pk, neighbour.pk)}


def test_group_join_counts_this_groups_members_only(pair):
    user = pair.resident()
    GroupMembershipFactory(group=pair.group_a, user=user)
    for _ in range(3):
        GroupMembershipFactory(group=pair.group_a)
    pair.group_b.max_members = 2
    pair.group_b.save()
    GroupMembershipFactory(group=pair.group_b)
    joined = services.group_join(group=pair.group_b, user=user)
    assert (joined.group, joined.user) == (pair.group_b, user)
    assert GroupMembership.objects.filter(user=user).count() == 2
    # Now group b is full.
    assert _en(services.group_join, group=pair.group_b, user=pair.resident()) == ("This group is full.", "full")
    # Joining again is answered with the existing membership.
    assert services.group_join(group=pair.group_b, user=user).pk == joined.pk


def test_group_join_of_an_inactive_group_is_refused(pair):
    pair.group_a.is_active = False
    pair.group_a.save()
    assert _en(services.group_join, group=pair.group_a, user=pair.resident()) == (
        "This group is no longer active.",
        "inactive",
    )
    services.group_join(group=pair.group_b, user=pair.resident())
    assert GroupMembership.objects.filter(group=pair.group_a).count() == 0


# --- the profile ------------------------------------------------------------------------------------------


def _windows(user):
    return list(ResidentAvailability.objects.filter(profile__user=user).values_list("weekday", "start", "end"))


def test_profile_free_times_are_merged_per_weekday(pair):
    user = pair.resident()
    mon, tue = 0, 1
    services.profile_update(
        user=user,
        community=pair.a,
        availability=[
            (mon, time(9), time(10)),
            (mon, time(10), time(11)),  # touches the first: one window
            (mon, time(10, 15), time(10, 45)),  # inside it
            (mon, time(14), time(15)),
            (mon, time(14, 30), time(16)),  # overlaps: extends
            (mon, time(14), time(15)),  # the same twice
            (tue, time(9, 30), time(10)),  # starts before Monday's last end, but another day
            (tue, time(9, 40), time(9, 50)),
        ],
    )
    assert _windows(user) == [(mon, time(9), time(11)), (mon, time(14), time(16)), (tue, time(9, 30), time(10))]


def test_profile_update_replaces_that_residents_free_times_only(pair):
    user, neighbour = pair.resident(), pair.resident()
    services.profile_update(user=neighbour, community=pair.a, availability=[(2, time(19), time(21))])
    services.profile_update(user=user, community=pair.a, availability=[(0, time(9), time(10))])
    services.profile_update(user=user, community=pair.b, availability=[(3, time(8), time(9))])
    assert _windows(user) == [(3, time(8), time(9))]
    assert _windows(neighbour) == [(2, time(19), time(21))]
    user.profile.refresh_from_db()
    assert (user.profile.community, user.profile.latitude) == (pair.b, pair.b.latitude)


def test_profile_update_refuses_a_window_that_ends_before_it_starts(pair):
    user = pair.resident()
    services.profile_update(user=user, community=pair.a, availability=[(0, time(9), time(10))])
    with pytest.raises(ValidationError) as excinfo:
        services.profile_update(user=user, community=pair.b, availability=[(1, time(10), time(9))])
    assert set(excinfo.value.message_dict) == {"availability"}
    assert _windows(user) == [(0, time(9), time(10))]


# --- a new resident (the desk, the spreadsheet import) ------------------------------------------------------


def test_resident_register_makes_one_resident_with_a_profile_in_the_given_community(pair):
    from accounts.enums import Role
    from accounts.models import RoleAssignment, User

    before = snapshot(User.objects.all(), "name", "phone")
    user = services.resident_register(
        name="  王芳 ",
        phone="+86 138-1234-5678",
        community=pair.b,
        email=" Wang@Example.ORG ",
        password="a long pass phrase",
        registered_by=pair.staff_b,
    )
    user.refresh_from_db()
    assert (user.name, user.phone, user.email, user.registered_by) == (
        "王芳",
        "13812345678",
        "wang@example.org",
        pair.staff_b,
    )
    assert user.check_password("a long pass phrase")
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [Role.RESIDENT]
    assert (user.profile.community, user.profile.latitude, user.profile.longitude) == (
        pair.b,
        pair.b.latitude,
        pair.b.longitude,
    )
    # Placed where the caller says; no password means no sign-in by password; no e-mail is stored as none.
    placed = services.resident_register(
        name="李明", phone="13900001111", community=pair.a, latitude=31.5, longitude=121.25
    )
    placed.refresh_from_db()
    assert (placed.profile.community, placed.profile.latitude, placed.profile.longitude) == (
        pair.a,
        31.5,
        121.25,
    )
    assert (placed.email, placed.registered_by, placed.has_usable_password()) == (None, None, False)
    # Nobody else was touched.
    assert {
        pk: row for pk, row in snapshot(User.objects.all(), "name", "phone").items() if pk in before
    } == before
