"""Districts kept apart on the dashboards and their exports (issue 18): each district office reads its own
district's figures, never a community, college or teacher of the other; the city office reads both."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import College
from dashboards import services
from tests.admin.districts import build_cities, leaked
from tests.factories import CollegeFactory

pytestmark = pytest.mark.django_db

SIDES = ["lj", "yb"]
PAGES = ["overview", "demand", "venues", "teachers", "stars", "funds", "showcases"]
URLS = [
    *[f"dashboards:{name}" for name in PAGES],
    *[f"dashboards:{name}_xlsx" for name in PAGES],
    "consultation:dashboard",
    "consultation:dashboard_xlsx",
]


@pytest.fixture
def cities(db):
    world = build_cities()
    for side in (world.lj, world.yb):
        college = College.objects.filter(community=side.node.community).first()
        if college is None:
            CollegeFactory(community=side.node.community)
    services.rollups_refresh()
    return world


def _text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return response.content.decode()


def _get(client, user, url, **query):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client.get(url, query, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("url_name", URLS)
def test_district_office_dashboards_and_exports_show_nothing_of_the_other_district(
    cities, client, side, url_name
):
    mine = getattr(cities, side)
    response = _get(client, mine.office, reverse(url_name))
    assert response.status_code == 200
    assert leaked(_text(response), cities.other(mine)) == []


@pytest.mark.parametrize("side", SIDES)
def test_district_office_overview_lists_its_own_communities_only(cities, client, side):
    mine = getattr(cities, side)
    response = _get(client, mine.office, reverse("dashboards:overview"))
    table = next(t for t in response.context["page"].tables if t.key == "communities")
    assert {row[1] for row in table.rows} == {mine.node.community.name}


@pytest.mark.parametrize("side", SIDES)
def test_filter_naming_the_other_districts_community_shows_nothing_of_it(cities, client, side):
    mine = getattr(cities, side)
    other = cities.other(mine)
    response = _get(client, mine.office, reverse("dashboards:overview"), community=other.node.community.pk)
    table = next(t for t in response.context["page"].tables if t.key == "communities")
    # The form refuses the choice, so the page stays on the office's own district.
    assert {row[1] for row in table.rows} <= {mine.node.community.name}
    assert leaked(response.content.decode(), other) == []


@pytest.mark.parametrize("export", [False, True])
def test_the_other_districts_college_page_does_not_exist(cities, client, export):
    other = College.objects.get(community=cities.yb.node.community)
    own = College.objects.get(community=cities.lj.node.community)
    name = "dashboards:college_xlsx" if export else "dashboards:college"
    assert _get(client, cities.lj.office, reverse(name, args=[other.pk])).status_code == 404
    assert _get(client, cities.lj.office, reverse(name, args=[own.pk])).status_code == 200
    assert _get(client, cities.city_office, reverse(name, args=[other.pk])).status_code == 200


def test_city_office_reads_both_districts(cities, client):
    response = _get(client, cities.city_office, reverse("dashboards:overview"))
    table = next(t for t in response.context["page"].tables if t.key == "communities")
    assert {row[1] for row in table.rows} == {cities.lj.node.community.name, cities.yb.node.community.name}


def test_consultation_figures_are_cached_per_district(cities, client):
    """The consultation dashboard caches its figures per scope: one district's must not answer the other."""
    from django.core.cache import cache

    cache.clear()
    _get(client, cities.lj.office, reverse("consultation:dashboard"))
    _get(client, cities.yb.office, reverse("consultation:dashboard"))
    from consultation.selectors import dashboard_generation

    generation = dashboard_generation()
    keys = {
        f"consultation:dashboard:{generation}:d{cities.lj.district.pk}",
        f"consultation:dashboard:{generation}:d{cities.yb.district.pk}",
    }
    assert all(cache.get(key) is not None for key in keys)
