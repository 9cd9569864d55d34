"""Each dashboard page costs the same number of queries for a little data as for three times as much.

Every count below starts with: 1 the session, 2 the user, 3 the user's roles (scope_for); street staff
and the district office add 4 the communities of their street or district. The pages then read 5 the
organisation tree and 6 the interest tree (cached afterwards), and their own aggregates. A second load with
the same filters reads only the first four: the page's figures come from the cache.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import services
from ratings import stars

from .conftest import populate

pytestmark = pytest.mark.django_db

# Page → its own queries after the two trees.
PAGE_QUERIES = {
    # registered residents; active residents in all and per community; active groups; roll-up counters per
    # day and per community; the order funnel with medians
    "overview": 7,
    # unmet orders by community and interest; orders of the period by interest; teachers per skill; the
    # matching service's reasons; the near misses staff can act on
    "demand": 5,
    # venues; opening hours per venue and weekday; bookings per venue, weekday and hour
    "venues": 3,
    # the pool; meetings this week and in the period; teacher scores; the lowest-scored sessions; their titles
    "teachers": 5,
    # colleges; star records of the last twelve months
    "stars": 2,
}


@pytest.fixture(params=[1, 3], ids=["small", "three-times"])
def filled(request, world):
    today = timezone.localdate()
    for community in world.communities:
        populate(community, units=request.param)
        populate(community, units=request.param, day=today - timedelta(days=40))
    services.rollups_refresh()
    last = stars.previous_month(today)
    services.college_stars_recompute(period=stars.previous_month(last))
    services.college_stars_recompute(period=last)
    return world


@pytest.mark.parametrize("page", list(PAGE_QUERIES))
def test_page_queries_do_not_grow_with_data(filled, login, django_assert_num_queries, page):
    client = login(filled.district_office)
    with django_assert_num_queries(4 + 2 + PAGE_QUERIES[page]):
        response = client.get(reverse(f"dashboards:{page}"), {"period": "quarter"})
    assert response.status_code == 200
    assert any(table.rows for table in response.context["page"].tables)
    with django_assert_num_queries(4):
        client.get(reverse(f"dashboards:{page}"), {"period": "quarter"})


@pytest.mark.parametrize("page", list(PAGE_QUERIES))
def test_street_staff_pay_one_query_more(filled, login, django_assert_num_queries, page):
    client = login(filled.street_staff)
    with django_assert_num_queries(4 + 2 + PAGE_QUERIES[page]):
        client.get(reverse(f"dashboards:{page}"), {"category": "", "period": "year"})


@pytest.mark.parametrize("page", list(PAGE_QUERIES))
def test_exports_cost_what_their_page_costs(filled, login, django_assert_num_queries, page):
    client = login(filled.district_office)
    with django_assert_num_queries(4 + 2 + PAGE_QUERIES[page]):
        response = client.get(reverse(f"dashboards:{page}_xlsx"))
    assert response.status_code == 200


def test_college_page_queries_do_not_grow_with_history(filled, login, django_assert_num_queries):
    from accounts.models import College

    college = College.objects.get(community=filled.a1)
    client = login(filled.district_office)
    # 1 session, 2 user, 3 roles, 4 the communities of the district, 5 the college with its community and
    # street, 6 its star records
    with django_assert_num_queries(6):
        response = client.get(reverse("dashboards:college", args=[college.pk]))
    assert len(response.context["records"]) == 2
