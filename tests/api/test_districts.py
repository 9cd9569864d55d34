"""Districts kept apart in the API (issue 18): every GET list of the schema, read by each district office,
shows nothing of the other district; the staff lists show the office's own rows; the city office reads both
and may start nothing."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.admin.districts import build_cities, leaked
from tests.shared_rows import fresh, rolled_back_at_the_end

pytestmark = pytest.mark.django_db

SIDES = ["lj", "yb"]


def _get_lists() -> list[str]:
    schema = SchemaGenerator(api_version="v1").get_schema(request=None, public=True)
    return sorted(
        path for path, operations in schema["paths"].items() if "{" not in path and "get" in operations
    )


# What residents browse: public offers found by distance or shown on a public wall, the city's whole (a resident
# may join a class or a showcase over the district border); no staff reach is asked of these.
PUBLIC = {
    "/api/v1/courses/nearby/",
    "/api/v1/showcases/nearby/",
    "/api/v1/groups/nearby/",
    "/api/v1/recognition/rounds/",
    "/api/v1/recognition/wall/",
    "/api/v1/stories/",
    "/api/v1/funds/campaigns/",
}
GET_LISTS = [path for path in _get_lists() if path not in PUBLIC]


@pytest.fixture(scope="module")
def _cities_rows(django_db_setup, django_db_blocker):
    with rolled_back_at_the_end(django_db_blocker):
        yield build_cities()


@pytest.fixture
def cities(db, _cities_rows):
    """Made once for the module (tests/shared_rows.py); each test rolls back what it changed."""
    return fresh(_cities_rows)


def test_the_schema_has_the_staff_lists():
    assert {"/api/v1/staff/orders/", "/api/v1/staff/teachers/", "/api/v1/funds/balances/"} <= set(GET_LISTS)
    assert set(_get_lists()) >= PUBLIC, "a public path left the schema: update PUBLIC"


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("path", GET_LISTS)
def test_district_office_reads_nothing_of_the_other_district(cities, api, side, path):
    mine = getattr(cities, side)
    response = api(mine.office).get(path)
    assert response.status_code in (200, 403, 404), response.content[:300]
    assert leaked(response.content.decode(errors="replace"), cities.other(mine)) == []


@pytest.mark.parametrize("side", SIDES)
def test_staff_lists_show_the_offices_own_district(cities, api, side):
    mine = getattr(cities, side)
    other = cities.other(mine)
    client = api(mine.office)
    orders = {row["id"] for row in client.get("/api/v1/staff/orders/").json()["results"]}
    assert (mine.node.order.pk in orders, other.node.order.pk in orders) == (True, False)
    teachers = {row["id"] for row in client.get("/api/v1/staff/teachers/").json()["results"]}
    assert (mine.node.teacher.pk in teachers, other.node.teacher.pk in teachers) == (True, False)


def test_city_office_reads_both_districts_and_starts_no_matching(cities, api):
    from activities.models import MatchRun

    client = api(cities.city_office)
    orders = {row["id"] for row in client.get("/api/v1/staff/orders/").json()["results"]}
    assert {cities.lj.node.order.pk, cities.yb.node.order.pk} <= orders
    runs = MatchRun.objects.count()
    response = client.post(
        "/api/v1/staff/match-runs/",
        {"scope": "community", "node": cities.lj.node.community.pk},
        format="json",
    )
    assert response.status_code == 403
    assert MatchRun.objects.count() == runs


def test_a_match_run_with_the_other_districts_term_is_refused(cities, api):
    """A community's staff name the other district's term: the term is not one of the node's district."""
    from activities.models import MatchRun

    runs = MatchRun.objects.count()
    response = api(cities.lj.community_staff).post(
        "/api/v1/staff/match-runs/",
        {"scope": "community", "node": cities.lj.node.community.pk, "term": cities.yb.term.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "term" in str(response.json())
    assert MatchRun.objects.count() == runs
