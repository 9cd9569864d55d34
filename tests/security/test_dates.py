"""Far dates and impossible offsets: refused with a message, never an overflow or a database error."""

from __future__ import annotations

import pytest

from activities.orders import order_place
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2200-01-01"])
def test_api_occupancy_refuses_a_far_week(world, api, week):
    response = api(world.staff).get("/api/v1/staff/venues/occupancy/", {"week": week})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["week"] == ["Choose a date between 1900-01-01 and 2199-12-31."]


def test_api_occupancy_still_answers_a_real_week(world, api):
    response = api(world.staff).get("/api/v1/staff/venues/occupancy/", {"week": "2026-03-04"})
    assert response.status_code == 200


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_admin_venue_overview_refuses_a_far_week(world, client, week):
    client.force_login(world.staff)
    response = client.get("/admin/venues/venue/overview/", {"week": week, "language": "en"})
    assert response.status_code == 200
    assert response.context["form"].errors["week"]


@pytest.mark.parametrize(
    "query",
    [
        {"submitted_at__year": "9999", "submitted_at__month": "12", "submitted_at__day": "31"},
        {"submitted_at__year": "9999", "submitted_at__month": "12"},
        {"submitted_at__year": "9999"},
        {"submitted_at__year": "99999999999999999999"},
    ],
)
def test_admin_date_drill_down_past_year_9999_is_an_incorrect_lookup(world, client, query):
    client.force_login(world.staff)
    response = client.get("/admin/activities/order/", query)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+18:51", "2026-01-01T00:00:00-15:00", "9999-12-31T23:59:59+08:00"]
)
def test_api_order_filter_refuses_impossible_datetimes(world, api, value):
    response = api(world.staff).get("/api/v1/staff/orders/", {"submitted_after": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["submitted_after"]


def test_api_order_filter_keeps_real_offsets(world, api):
    order_place(resident=world.owner, category=world.leaf)
    order_place(resident=ResidentFactory(profile__community=world.elsewhere), category=world.leaf)
    response = api(world.staff).get("/api/v1/staff/orders/", {"submitted_after": "2000-01-01T00:00:00+14:00"})
    assert response.status_code == 200
    assert response.json()["count"] == 1  # the other community's order is not in this staff's scope
