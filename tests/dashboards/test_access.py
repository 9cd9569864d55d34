"""Who reads which dashboard: the district everything, a street its street, a community its community;
residents, teachers and liaisons 403; anonymous visitors sign in first. Pages and exports alike."""

import pytest
from django.urls import reverse

from accounts.models import College
from dashboards import services

from .conftest import populate

pytestmark = pytest.mark.django_db

PAGES = ["overview", "demand", "venues", "teachers", "stars"]
ALL_URLS = list(PAGES) + [f"{name}_xlsx" for name in PAGES]


@pytest.fixture
def data(world):
    for community in world.communities:
        populate(community)
    services.rollups_refresh()
    return world


@pytest.mark.parametrize("url_name", ALL_URLS)
@pytest.mark.parametrize("role", ["superuser", "district_office", "street_staff", "community_staff"])
def test_staff_with_a_scope_may_read(data, login, url_name, role):
    response = login(getattr(data, role)).get(reverse(f"dashboards:{url_name}"))
    assert response.status_code == 200


@pytest.mark.parametrize("url_name", ALL_URLS)
@pytest.mark.parametrize("role", ["resident", "teacher", "liaison"])
def test_others_are_refused(data, login, url_name, role):
    response = login(getattr(data, role)).get(reverse(f"dashboards:{url_name}"))
    assert response.status_code == 403


@pytest.mark.parametrize("url_name", ALL_URLS)
def test_anonymous_visitors_sign_in_first(data, client, url_name):
    url = reverse(f"dashboards:{url_name}")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_only_get(data, login):
    assert login(data.district_office).post(reverse("dashboards:overview")).status_code == 405


def community_names(response) -> set[str]:
    table = next(t for t in response.context["page"].tables if t.key == "communities")
    return {row[1] for row in table.rows}


def test_each_level_sees_its_own_communities(data, login, client):
    assert community_names(login(data.district_office).get(reverse("dashboards:overview"))) == {"甲一社区", "甲二社区", "乙一社区"}
    assert community_names(login(data.street_staff).get(reverse("dashboards:overview"))) == {"甲一社区", "甲二社区"}
    assert community_names(login(data.community_staff).get(reverse("dashboards:overview"))) == {"甲一社区"}


def test_a_filter_outside_the_scope_selects_nothing_more(data, login):
    """Community staff of a1 asking for b1 (or street B) still see a1 only."""
    client = login(data.community_staff)
    for query in ({"community": data.b1.pk}, {"street": data.street_b.pk}):
        response = client.get(reverse("dashboards:overview"), query)
        assert community_names(response) <= {"甲一社区"}
    # The street office can narrow to one of its communities, and the menus offer only its own.
    response = login(data.street_staff).get(reverse("dashboards:overview"), {"community": data.a2.pk})
    assert community_names(response) == {"甲二社区"}
    form = response.context["form"]
    offered = {pk for _street, options in form.fields["community"].choices[1:] for pk, _name in options}
    assert offered == {data.a1.pk, data.a2.pk}


def test_exports_follow_the_scope(data, login):
    from io import BytesIO

    from openpyxl import load_workbook

    response = login(data.street_staff).get(reverse("dashboards:overview_xlsx"), {"table": "communities"})
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"甲一社区", "甲二社区"}


@pytest.mark.parametrize("export", [False, True])
def test_a_college_page_outside_the_scope_does_not_exist(data, login, export):
    other = College.objects.get(community=data.b1)
    own = College.objects.get(community=data.a1)
    name = "dashboards:college_xlsx" if export else "dashboards:college"
    client = login(data.community_staff)
    assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.get(reverse(name, args=[own.pk])).status_code == 200
    assert login(data.district_office).get(reverse(name, args=[other.pk])).status_code == 200
    assert login(data.resident).get(reverse(name, args=[own.pk])).status_code == 403


def test_star_map_lists_the_colleges_in_scope(data, login):
    response = login(data.street_staff).get(reverse("dashboards:stars"))
    table = response.context["page"].tables[0]
    assert sorted(str(row[0]) for row in table.rows) == ["甲一社区学院", "甲二社区学院"]
