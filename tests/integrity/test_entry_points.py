"""Each state-changing rule, driven through every entry point that exists for it (portal view, admin, API,
Celery task): the same outcome, and the same refusal with nothing half-saved.

Rules: 派单 into an existing class (admin action, API, incremental placement task), joining an interest group
(portal view, admin), granting a role (admin, service), a class's places (admin page, service), the roll
call (admin page, API; see tests/activities/test_attendance.py for its refusals).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.enums import Role
from accounts.models import RoleAssignment, User
from activities import orders, services
from activities.enums import RegistrationStatus
from activities.models import Course, Order, Registration
from activities.tasks import place_accepted_order
from interests import services as order_services
from interests.enums import OrderStatus
from interests.models import GroupMembership
from tests.activities.classes import make_side, residents
from tests.factories import CommunityFactory, InterestGroupFactory, ResidentFactory, StaffFactory, UserFactory

# Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def admin_client(client, user):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# --- 派单 ------------------------------------------------------------------------------------------------------


def accepted_order(side, category=None):
    (resident,) = residents(side.community, 1)
    order = orders.order_place(resident=resident, category=category or side.course.category)
    # Accepted without the on-commit placement, so that each entry point below is the one that dispatches.
    return orders.order_transition(order=order, to=OrderStatus.ACCEPTED, actor=side.staff)


def via_admin(client, side, order, course):
    admin_client(client, side.staff).post(
        reverse("admin:activities_order_changelist"),
        {"action": "dispatch_orders", "_selected_action": [order.pk], "apply": "1", f"course_{order.pk}": course.pk},
    )


def via_api(client, side, order, course):
    return api_client(side.staff).post(
        f"/api/v1/staff/orders/{order.pk}/dispatch/", {"course": course.pk}, format="json"
    )


def via_task(client, side, order, course):
    place_accepted_order.delay(order.pk, side.staff.pk)


ENTRY_POINTS = {"admin": via_admin, "api": via_api, "task": via_task}


def outcome(order, course):
    order = Order.objects.get(pk=order.pk)
    regs = list(Registration.objects.filter(resident=order.resident).values_list("course_id", "status", "order_id"))
    return order.status, order.course_id, regs, Course.objects.get(pk=course.pk).confirmed_count


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_dispatch_into_a_class_with_room_makes_the_registration(entry, client):
    a, b = make_side(capacity=2), make_side(capacity=2)
    order = accepted_order(a)
    ENTRY_POINTS[entry](client, a, order, a.course)
    assert outcome(order, a.course) == (
        OrderStatus.DISPATCHED, a.course.pk, [(a.course.pk, RegistrationStatus.CONFIRMED, order.pk)], 1,
    )
    assert Course.objects.get(pk=b.course.pk).confirmed_count == 0


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_dispatch_into_a_full_class_is_refused_everywhere(entry, client):
    a, b = make_side(capacity=1), make_side(capacity=1)
    services.registration_create(course=a.course, resident=residents(a.community, 1)[0])
    order = accepted_order(a)
    response = ENTRY_POINTS[entry](client, a, order, a.course)
    assert outcome(order, a.course) == (OrderStatus.ACCEPTED, None, [], 1)
    if entry == "api":
        assert (response.status_code, response.json()["code"]) == (409, "course_full")
    assert Course.objects.get(pk=b.course.pk).confirmed_count == 0


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_dispatch_into_a_class_of_another_interest_is_refused_everywhere(entry, client):
    a = make_side(capacity=3)
    other = make_side(capacity=3)  # teaches another interest, in another community
    order = accepted_order(a, category=other.course.category)
    response = ENTRY_POINTS[entry](client, a, order, a.course)
    assert outcome(order, a.course) == (OrderStatus.ACCEPTED, None, [], 0)
    if entry == "api":
        assert (response.status_code, response.json()["code"]) == (409, "other_interest")


def test_admin_and_api_list_the_same_classes_an_order_can_go_into(client):
    from activities.selectors import courses_open_for_orders

    a = make_side(capacity=1)
    full = make_side(capacity=1)
    Course.objects.filter(pk=full.course.pk).update(community=a.community, category=a.course.category)
    services.registration_create(course=full.course, resident=residents(a.community, 1)[0])
    order = accepted_order(a)
    response = admin_client(client, a.staff).post(
        reverse("admin:activities_order_changelist"), {"action": "dispatch_orders", "_selected_action": [order.pk]}
    )
    offered = [course.pk for course in dict(response.context["rows"])[order]]
    assert offered == [a.course.pk]
    assert list(courses_open_for_orders(actor=a.staff, category_ids=[order.category_id]).values_list("pk", flat=True)) == [
        a.course.pk
    ]


# --- interest groups ---------------------------------------------------------------------------------------


def group_world():
    side = make_side()
    neighbour = CommunityFactory(street=side.community.street)
    far = CommunityFactory()
    group = InterestGroupFactory(community=side.community, max_members=2)
    other_group = InterestGroupFactory(community=neighbour)
    return side, neighbour, far, group, other_group


def join_via_portal(client, side, group, resident):
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client.post(reverse("interests:group_join", args=[group.pk]))


def join_via_admin(client, side, group, resident):
    # Street staff: both communities of the street are theirs, so the service, not the form's choices, decides.
    staff = StaffFactory(role=Role.STREET_STAFF, street=side.community.street)
    if resident.profile.community.street_id != side.community.street_id:
        staff = UserFactory(is_staff=True, is_superuser=True)
    return admin_client(client, staff).post(
        reverse("admin:interests_groupmembership_add"), {"group": group.pk, "user": resident.pk}
    )


JOIN = {"portal": join_via_portal, "admin": join_via_admin}


@pytest.mark.parametrize("entry", JOIN)
def test_a_neighbour_of_the_street_joins(entry, client):
    side, neighbour, _far, group, other_group = group_world()
    resident = ResidentFactory(profile__community=neighbour)
    JOIN[entry](client, side, group, resident)
    assert list(GroupMembership.objects.filter(user=resident).values_list("group_id", flat=True)) == [group.pk]
    assert not GroupMembership.objects.filter(group=other_group).exists()


@pytest.mark.parametrize("entry", JOIN)
def test_a_resident_of_another_street_is_refused(entry, client):
    side, _neighbour, far, group, _other = group_world()
    resident = ResidentFactory(profile__community=far)
    response = JOIN[entry](client, side, group, resident)
    assert not GroupMembership.objects.filter(user=resident).exists()
    if entry == "admin":
        assert response.status_code == 200
        assert f"{group.name} is for residents of its own street." in str(
            response.context["adminform"].form.non_field_errors()
        )
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("entry", JOIN)
def test_a_full_group_is_refused(entry, client):
    side, neighbour, _far, group, _other = group_world()
    for person in residents(side.community, 2):
        order_services.group_join(group=group, user=person)
    late = ResidentFactory(profile__community=neighbour)
    JOIN[entry](client, side, group, late)
    assert GroupMembership.objects.filter(group=group).count() == 2
    assert not GroupMembership.objects.filter(user=late).exists()


def test_group_join_service_refuses_another_street_and_another_communitys_staff():
    side, _neighbour, far, group, _other = group_world()
    other = make_side()
    with pytest.raises(ValidationError) as refused:
        order_services.group_join(group=group, user=ResidentFactory(profile__community=far))
    assert refused.value.code == "other_street"
    with pytest.raises(ValidationError) as refused:
        order_services.group_join(group=group, user=ResidentFactory(profile__community=side.community), actor=other.staff)
    assert refused.value.code == "scope"
    assert GroupMembership.objects.count() == 0


# --- roles ----------------------------------------------------------------------------------------------------


def test_a_role_granted_in_the_admin_opens_the_admin(client):
    side = make_side()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    newcomer, bystander = UserFactory(is_staff=False), UserFactory(is_staff=False)
    response = admin_client(client, superuser).post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": newcomer.pk, "role": Role.COMMUNITY_STAFF, "community": side.community.pk},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=newcomer.pk).is_staff is True
    assert User.objects.get(pk=bystander.pk).is_staff is False
    assert list(RoleAssignment.objects.filter(user=newcomer).values_list("role", "community_id")) == [
        (Role.COMMUNITY_STAFF, side.community.pk)
    ]
    client.force_login(newcomer, backend="accounts.backends.PhoneOrEmailBackend")
    assert client.get(reverse("admin:index")).status_code == 200


def test_role_assign_service_and_admin_refuse_a_role_without_its_node(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    newcomer = UserFactory(is_staff=False)
    with pytest.raises(ValidationError):
        account_services.role_assign(user=newcomer, role=Role.COMMUNITY_STAFF)
    response = admin_client(client, superuser).post(
        reverse("admin:accounts_roleassignment_add"), {"user": newcomer.pk, "role": Role.COMMUNITY_STAFF}
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert User.objects.get(pk=newcomer.pk).is_staff is False


# --- a class that is over takes no registration --------------------------------------------------------------


def register_via_portal(client, side, resident):
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client.post(reverse("activities:register", args=[side.course.pk]), follow=True)


def register_via_api(client, side, resident):
    return api_client(resident).post(f"/api/v1/courses/{side.course.pk}/register/")


def register_via_admin(client, side, resident):
    return admin_client(client, side.staff).post(
        reverse("admin:activities_registration_add"), {"course": side.course.pk, "resident": resident.pk}
    )


REGISTER = {"portal": register_via_portal, "api": register_via_api, "admin": register_via_admin}


@pytest.mark.parametrize("entry", REGISTER)
def test_a_class_with_no_meeting_left_takes_no_registration_anywhere(entry, client):
    from datetime import timedelta

    from django.utils import timezone

    from activities.models import Session

    over, running = make_side(), make_side()
    shift = timedelta(weeks=10)
    for session in Session.objects.filter(course=over.course):
        Session.objects.filter(pk=session.pk).update(starts_at=session.starts_at - shift, ends_at=session.ends_at - shift)
    assert Session.objects.filter(course=over.course, ends_at__gt=timezone.now()).count() == 0
    (resident,) = residents(over.community, 1)
    response = REGISTER[entry](client, over, resident)
    assert not Registration.objects.filter(resident=resident).exists()
    assert Course.objects.get(pk=over.course.pk).confirmed_count == 0
    if entry == "api":
        assert (response.status_code, response.json()["code"]) == (409, "course_past")
    elif entry == "admin":
        assert "This class has no meeting left." in str(response.context["adminform"].form.non_field_errors())
    else:
        assert "This class has no meeting left." in [str(m) for m in response.context["messages"]]
    # The class still running takes the same resident.
    assert services.registration_create(course=running.course, resident=resident).status == RegistrationStatus.CONFIRMED
