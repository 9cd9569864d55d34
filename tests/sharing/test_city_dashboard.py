"""The city dashboard: districts compared by the district pages' own selectors; the city office only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Community, District
from dashboards import selectors
from dashboards.models import ResidentActivity
from dashboards.services import bump_generation
from interests.enums import OrderStatus
from tests.factories.accounts import (
    CollegeFactory,
    CommunityFactory,
    DistrictFactory,
    ResidentFactory,
    StaffFactory,
    StreetFactory,
    UserFactory,
)
from tests.factories.interests import CategoryFactory, OrderFactory

pytestmark = pytest.mark.django_db


def populate(community, *, orders: int, dispatched: int, active: int, stars: int, wait_days: int):
    """Orders of the last days (some dispatched after `wait_days`), active residents and a college."""
    category = CategoryFactory()
    now = timezone.now()
    for i in range(orders):
        resident = ResidentFactory(profile__community=community)
        submitted = now - timedelta(days=wait_days + 1)
        done = i < dispatched
        OrderFactory(
            resident=resident,
            category=category,
            submitted_at=submitted,
            accepted_at=submitted + timedelta(hours=1) if done else None,
            dispatched_at=submitted + timedelta(days=wait_days) if done else None,
            status=OrderStatus.DISPATCHED if done else OrderStatus.SUBMITTED,
        )
        if i < active:
            ResidentActivity.objects.create(
                resident=resident, community=community, category=category, last_day=timezone.localdate()
            )
    CollegeFactory(community=community, stars=stars)


@pytest.fixture
def city(two_districts):
    populate(two_districts.c1, orders=4, dispatched=3, active=2, stars=4, wait_days=2)
    populate(two_districts.c1b, orders=2, dispatched=0, active=1, stars=2, wait_days=1)
    populate(two_districts.c2, orders=3, dispatched=1, active=3, stars=5, wait_days=6)
    return two_districts


def district_filters(district) -> selectors.Filters:
    ids = frozenset(Community.objects.filter(street__district=district).values_list("pk", flat=True))
    return selectors.Filters(community_ids=ids, category_ids=None, period="month", today=timezone.localdate())


def test_each_district_row_has_the_figures_of_the_district_pages(city):
    whole = selectors.Filters(
        community_ids=None, category_ids=None, period="month", today=timezone.localdate()
    )
    rows = {r.district_id: r for r in selectors.city_comparison(whole).rows}
    for district in (city.d1, city.d2):
        f = district_filters(district)
        overview = selectors.overview(f)
        row = rows[district.pk]
        assert row.active == overview.active_residents
        assert (row.funnel.submitted, row.funnel.dispatched) == (
            overview.funnel.submitted,
            overview.funnel.dispatched,
        )
        assert row.funnel.median_hours == overview.funnel.median_hours
        assert sorted(row.star_levels) == sorted(c.stars for c in selectors.star_map(f).colleges)
        assert row.population == sum(
            c.population for c in Community.objects.filter(street__district=district)
        )
    d1, d2 = rows[city.d1.pk], rows[city.d2.pk]
    assert (d1.active, d1.funnel.submitted, d1.funnel.dispatched, d1.mean_stars) == (3, 6, 3, 3.0)
    assert (d2.active, d2.funnel.submitted, d2.funnel.dispatched, d2.mean_stars) == (3, 3, 1, 5.0)
    assert d1.per_thousand == pytest.approx(3 * 1000 / 16000)
    assert d2.orders_to_classes == pytest.approx(1 / 3)
    assert d1.median_days_to_dispatch == pytest.approx(2, abs=0.01)
    assert d2.median_days_to_dispatch == pytest.approx(6, abs=0.01)


def test_only_the_city_office_and_superusers_read_it(client, city):
    url = reverse("dashboards:city")
    assert client.get(url).status_code == 302  # sign in first
    for user in (city.office1, city.office2, StaffFactory(role=Role.COMMUNITY_STAFF, community=city.c1)):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("dashboards:city_xlsx")).status_code == 403
    for user in (city.city_office, UserFactory(is_staff=True, is_superuser=True)):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "两江新区" in text and "渝中区" in text
        assert 'data-chart="participation"' in text
    assert client.get(reverse("dashboards:city_xlsx")).status_code == 200


@pytest.mark.parametrize("extra_districts", [0, 3])
def test_the_query_count_does_not_grow_with_the_districts(
    client, city, django_assert_num_queries, extra_districts
):
    for n in range(extra_districts):
        district = DistrictFactory(city=city.city, name=f"新区{n}", code=f"new-{n}")
        community = CommunityFactory(street=StreetFactory(district=district))
        populate(community, orders=2, dispatched=1, active=1, stars=3, wait_days=3)
    assert District.objects.count() == 2 + extra_districts
    client.force_login(city.city_office)
    client.get(reverse("dashboards:city"))
    # Every cached dashboard made stale: session, user, the city office's role; `city_comparison`: districts,
    # communities, active residents, the order funnels, the star map (2), the funds (3); the organisation and
    # interest trees for the names (2). The same 14 whatever the number of districts.
    bump_generation()
    with django_assert_num_queries(NUM_COLD):
        response = client.get(reverse("dashboards:city"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= 2 + extra_districts


NUM_COLD = 14
