"""The busiest lists cost the same number of queries for 1 row as for 5: list_select_related does the joins."""

import pytest

from accounts.enums import Role
from activities import orders
from activities.models import Order, Registration
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    RegistrationFactory,
    ResidentFactory,
    StaffFactory,
)

from .helpers import admin_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return CommunityFactory()


@pytest.fixture
def staff_client(client, community):
    client.force_login(
        StaffFactory(role=Role.COMMUNITY_STAFF, community=community), backend="accounts.backends.PhoneOrEmailBackend"
    )
    return client


@pytest.mark.parametrize("rows", [1, 5])
def test_order_inbox_queries_do_not_grow_with_rows(staff_client, community, django_assert_num_queries, rows):
    for _ in range(rows):
        orders.order_place(resident=ResidentFactory(profile__community=community), category=CategoryFactory())
    # 1 session, 2 user, 3 the staff member's roles (scope), 4 counts per status for the status filter,
    # 5 interests of the interest filter, 6 grids of the grid filter, 7 communities of the community filter,
    # 8 count of the page's rows (no second, unfiltered count: show_full_result_count is off), 9-10 the user's
    # and groups' Django permissions, asked by the sidebar for the third-party apps, 11 the page of orders with
    # resident, category and community joined, 12-13 the date hierarchy (first and last day, then the days).
    with django_assert_num_queries(13):
        response = staff_client.get(admin_url(Order, "changelist"))
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [1, 5])
def test_registration_list_queries_do_not_grow_with_rows(staff_client, community, django_assert_num_queries, rows):
    course = CourseFactory(community=community)
    for _ in range(rows):
        RegistrationFactory(course=course, resident=ResidentFactory(profile__community=community))
    # 1 session, 2 user, 3 roles (scope), 4 communities of the community filter, 5 count of the rows,
    # 6-7 Django permissions for the sidebar's third-party apps, 8 the page with resident, course,
    # community and placed_by joined, 9-10 the date hierarchy.
    with django_assert_num_queries(10):
        response = staff_client.get(admin_url(Registration, "changelist"))
    assert response.context["cl"].result_count == rows
