"""The category tree and the star standard as city defaults: districts adopt and adapt; only the city writes them."""

from datetime import date

import pytest
from django.urls import reverse

from community_college.errors import ScopeError
from dashboards import services
from dashboards.models import StarStandard
from interests import category_defaults
from interests.models import Category, DistrictCategory
from ratings import stars
from tests.factories.accounts import CollegeFactory
from tests.factories.interests import CategoryFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

STANDARD_FIELDS = (
    "name",
    "district_id",
    "two_stars",
    "three_stars",
    "four_stars",
    "five_stars",
    "published_at",
)


@pytest.fixture
def tree(two_districts):
    culture = CategoryFactory(name="文化", min_size=5, max_size=30)
    return culture, CategoryFactory(name="书法", parent=culture, min_size=6, max_size=20)


# --- the category tree ------------------------------------------------------------------------------------------


def test_a_district_adopts_the_tree_as_its_own_version_with_the_origin(two_districts, tree):
    culture, calligraphy = tree
    before = snapshot(Category.objects.all(), "name", "min_size", "max_size", "is_active")

    category_defaults.district_categories_adopt(district_id=two_districts.d1.pk, actor=two_districts.office1)

    mine = {
        v.category_id: v for v in category_defaults.district_category_tree(district_id=two_districts.d1.pk)
    }
    assert set(mine) == set(Category.objects.values_list("pk", flat=True))
    assert (mine[calligraphy.pk].name, mine[calligraphy.pk].min_size, mine[calligraphy.pk].max_size) == (
        "书法",
        6,
        20,
    )
    assert not DistrictCategory.objects.filter(district=two_districts.d2).exists()
    assert snapshot(Category.objects.all(), "name", "min_size", "max_size", "is_active") == before


def test_adapting_changes_the_district_copy_only(two_districts, tree):
    _culture, calligraphy = tree
    for district, office in (
        (two_districts.d1, two_districts.office1),
        (two_districts.d2, two_districts.office2),
    ):
        category_defaults.district_categories_adopt(district_id=district.pk, actor=office)
    other = snapshot(
        DistrictCategory.objects.filter(district=two_districts.d2), "name", "min_size", "is_active"
    )
    city = snapshot(Category.objects.all(), "name", "min_size", "max_size", "is_active")
    version = DistrictCategory.objects.get(district=two_districts.d1, category=calligraphy)

    category_defaults.district_category_adapt(
        version=version, actor=two_districts.office1, name="软笔书法", min_size=4
    )

    version.refresh_from_db()
    assert (version.name, version.min_size, version.category_id) == ("软笔书法", 4, calligraphy.pk)
    assert version.adapted_at is not None
    assert (
        snapshot(DistrictCategory.objects.filter(district=two_districts.d2), "name", "min_size", "is_active")
        == other
    )
    assert snapshot(Category.objects.all(), "name", "min_size", "max_size", "is_active") == city
    # Adopting again keeps what was adapted.
    category_defaults.district_categories_adopt(district_id=two_districts.d1.pk, actor=two_districts.office1)
    version.refresh_from_db()
    assert version.name == "软笔书法"


def test_a_district_cannot_adopt_or_adapt_for_another(two_districts, tree):
    category_defaults.district_categories_adopt(district_id=two_districts.d1.pk, actor=two_districts.office1)
    version = DistrictCategory.objects.filter(district=two_districts.d1).first()
    with pytest.raises(ScopeError):
        category_defaults.district_categories_adopt(
            district_id=two_districts.d2.pk, actor=two_districts.office1
        )
    with pytest.raises(ScopeError):
        category_defaults.district_category_adapt(version=version, actor=two_districts.office2, name="改")
    with pytest.raises(ScopeError):
        category_defaults.district_category_adapt(version=version, actor=two_districts.city_office, name="改")
    version.refresh_from_db()
    assert version.name != "改"
    assert not DistrictCategory.objects.filter(district=two_districts.d2).exists()


def test_only_the_city_office_writes_the_default_tree(two_districts, tree, client):
    _culture, calligraphy = tree
    for actor in (two_districts.office1, two_districts.office2):
        with pytest.raises(ScopeError):
            category_defaults.category_default_update(category=calligraphy, actor=actor, min_size=2)
    calligraphy.refresh_from_db()
    assert calligraphy.min_size == 6
    category_defaults.category_default_update(
        category=calligraphy, actor=two_districts.city_office, min_size=3
    )
    calligraphy.refresh_from_db()
    assert calligraphy.min_size == 3

    change = reverse("admin:interests_category_change", args=[calligraphy.pk])
    client.force_login(two_districts.office1)
    assert not client.get(change).context["has_change_permission"]
    client.force_login(two_districts.city_office)
    assert client.get(change).context["has_change_permission"]


def test_the_admin_adopts_and_adapts(two_districts, tree, client):
    culture, calligraphy = tree
    client.force_login(two_districts.office2)
    client.post(
        reverse("admin:interests_category_changelist"),
        {"action": "adopt_into_my_district", "_selected_action": [calligraphy.pk]},
    )
    version = DistrictCategory.objects.get()
    assert (version.district, version.category) == (two_districts.d2, calligraphy)
    change = reverse("admin:interests_districtcategory_change", args=[version.pk])
    response = client.post(
        change, {"name": "硬笔书法", "min_size": 3, "max_size": 12, "sort_order": 0, "is_active": "on"}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.name, version.min_size) == ("硬笔书法", 3)
    # The other district neither sees nor changes it.
    client.force_login(two_districts.office1)
    assert client.get(change).status_code in (302, 403, 404)
    assert client.get(reverse("admin:interests_districtcategory_changelist")).context["cl"].result_count == 0


# --- the star standard ------------------------------------------------------------------------------------------


def city_default() -> StarStandard:
    return StarStandard.objects.get(district__isnull=True)  # the one published by the migration


def test_a_district_adopts_the_standard_and_adapts_its_copy(two_districts):
    default = city_default()
    city_before = snapshot(StarStandard.objects.all(), *STANDARD_FIELDS)

    adopted = services.star_standard_adopt(
        standard=default, district_id=two_districts.d1.pk, user=two_districts.office1
    )
    assert (adopted.district, adopted.origin, adopted.is_published) == (two_districts.d1, default, True)
    assert adopted.indicators.count() == default.indicators.count()

    draft = services.star_standard_copy(standard=adopted, user=two_districts.office1)
    assert (draft.district, draft.origin, draft.is_published) == (two_districts.d1, adopted, False)
    services.star_standard_update(
        standard=draft,
        user=two_districts.office1,
        two_stars=30,
        effective_from=adopted.effective_from,
        indicators={stars.INDICATORS[0].code: {"weight": 0}},
    )
    services.star_standard_publish(standard=draft, user=two_districts.office1)

    assert (
        snapshot(StarStandard.objects.exclude(pk__in=[adopted.pk, draft.pk]), *STANDARD_FIELDS) == city_before
    )
    period = max(default.effective_from, date(2026, 1, 1))
    assert services.standard_in_force(period=period, district_id=two_districts.d1.pk).pk == draft.pk
    # The other district, without a version of its own, is rated by the city's default.
    assert services.standard_in_force(period=period, district_id=two_districts.d2.pk).pk == default.pk
    assert services.standard_in_force(period=period).pk == default.pk


def test_the_district_version_rates_only_its_own_colleges(two_districts):
    default = city_default()
    adopted = services.star_standard_adopt(
        standard=default, district_id=two_districts.d1.pk, user=two_districts.office1
    )
    college1, college2 = (
        CollegeFactory(community=two_districts.c1),
        CollegeFactory(community=two_districts.c2),
    )
    records = {r.college_id: r for r in services.college_stars_recompute(period=date(2026, 11, 1))}
    assert records[college1.pk].indicators["standard"]["id"] == adopted.pk
    assert records[college2.pk].indicators["standard"]["id"] == default.pk


def test_only_the_city_office_writes_the_default_standard(two_districts):
    default = city_default()
    with pytest.raises(ScopeError):
        services.star_standard_copy(standard=default, user=two_districts.office1, district_id=None)
    draft = services.star_standard_copy(standard=default, user=two_districts.city_office)
    assert draft.district is None
    for office in (two_districts.office1, two_districts.office2):
        with pytest.raises(ScopeError):
            services.star_standard_update(standard=draft, user=office, two_stars=10)
        with pytest.raises(ScopeError):
            services.star_standard_publish(standard=draft, user=office)
    # A district office cannot adopt for another district, nor publish another district's draft.
    with pytest.raises(ScopeError):
        services.star_standard_adopt(
            standard=default, district_id=two_districts.d2.pk, user=two_districts.office1
        )
    theirs = services.star_standard_copy(
        standard=default, user=two_districts.office2, district_id=two_districts.d2.pk
    )
    with pytest.raises(ScopeError):
        services.star_standard_publish(standard=theirs, user=two_districts.office1)
    services.star_standard_publish(standard=draft, user=two_districts.city_office)
    draft.refresh_from_db()
    theirs.refresh_from_db()
    assert draft.is_published and not theirs.is_published


def test_the_admin_adopt_action_and_copies_into_the_own_district(two_districts, client):
    default = city_default()
    client.force_login(two_districts.office2)
    changelist = reverse("admin:dashboards_starstandard_changelist")
    client.post(changelist, {"action": "adopt_into_my_district", "_selected_action": [default.pk]})
    adopted = StarStandard.objects.get(district=two_districts.d2)
    assert adopted.origin == default and adopted.is_published
    # "Copy as a new draft" of the city's default, by a district office, adapts it into its own district.
    client.post(changelist, {"action": "copy_as_draft", "_selected_action": [default.pk]})
    assert (
        StarStandard.objects.filter(
            district=two_districts.d2, published_at__isnull=True, origin=default
        ).count()
        == 1
    )
    assert not StarStandard.objects.filter(district=two_districts.d1).exists()
    # The city's default stays read-only to the district office.
    page = client.get(reverse("admin:dashboards_starstandard_change", args=[default.pk]))
    assert not page.context["has_change_permission"]


def test_a_districts_own_standard_is_hidden_from_the_other_district(two_districts, client):
    default = city_default()
    adopted = services.star_standard_adopt(
        standard=default, district_id=two_districts.d1.pk, user=two_districts.office1
    )
    changelist = reverse("admin:dashboards_starstandard_changelist")
    client.force_login(two_districts.office2)
    assert {s.pk for s in client.get(changelist).context["cl"].result_list} == {default.pk}
    assert client.get(reverse("admin:dashboards_starstandard_change", args=[adopted.pk])).status_code in (
        302,
        404,
    )
    client.force_login(two_districts.office1)
    assert {s.pk for s in client.get(changelist).context["cl"].result_list} == {default.pk, adopted.pk}
    client.force_login(two_districts.city_office)
    assert {s.pk for s in client.get(changelist).context["cl"].result_list} == {default.pk, adopted.pk}
