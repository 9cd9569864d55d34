"""A district's adapted category tree is what its residents are offered (issue 18, 全市共享).

Two districts of one city: d1 adopts the city's tree and adapts it (renames 书法, hides 太极拳), d2 does not
adopt at all and so sees the city's default. Each district's residents see their own version on the
search, the order form, the profile's interests and the class filter; the other district and the city's
rows stay as they were.
"""

import pytest
from django.urls import reverse

from activities.resident_selectors import search_categories
from activities.selectors import filter_choices
from interests import category_defaults, selectors
from interests.models import Category, DistrictCategory, ResidentProfile
from tests.factories import CategoryFactory, ResidentFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

CITY_FIELDS = ("name", "name_en", "min_size", "max_size", "sort_order", "is_active")


@pytest.fixture
def tree(two_districts):
    culture = CategoryFactory(name="文化", name_en="Culture")
    sport = CategoryFactory(name="体育", name_en="Sport")
    calligraphy = CategoryFactory(name="书法", name_en="Calligraphy", parent=culture, min_size=6, max_size=20)
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi", parent=sport, min_size=5, max_size=25)
    category_defaults.district_categories_adopt(district_id=two_districts.d1.pk, actor=two_districts.office1)
    version = {v.category_id: v for v in DistrictCategory.objects.filter(district=two_districts.d1)}
    category_defaults.district_category_adapt(
        version=version[calligraphy.pk], actor=two_districts.office1, name="软笔书法", min_size=3
    )
    category_defaults.district_category_adapt(
        version=version[taiji.pk], actor=two_districts.office1, is_active=False
    )
    return {"culture": culture, "sport": sport, "calligraphy": calligraphy, "taiji": taiji}


def _resident(community):
    return ResidentFactory(profile__community=community)


def _profile(user):
    return ResidentProfile.objects.select_related("community__street").get(user=user)


def test_the_selector_gives_each_district_its_own_version(two_districts, tree):
    city = snapshot(Category.objects.all(), *CITY_FIELDS)

    d1 = {c.pk: c for c in selectors.categories_seen_by(two_districts.d1.pk)}
    d2 = {c.pk: c for c in selectors.categories_seen_by(two_districts.d2.pk)}
    nobody = {c.pk: c for c in selectors.categories_seen_by(None)}

    calligraphy, taiji = tree["calligraphy"].pk, tree["taiji"].pk
    assert (d1[calligraphy].seen_name, d1[calligraphy].seen_min_size, d1[calligraphy].seen_max_size) == (
        "软笔书法",
        3,
        20,
    )
    # Renamed: the city's English name no longer names it.
    assert d1[calligraphy].seen_name_en == ""
    assert (d1[taiji].seen_name, d1[taiji].offered, d1[taiji].seen_name_en) == ("太极拳", False, "Tai chi")
    for other in (d2, nobody):
        assert (other[calligraphy].seen_name, other[calligraphy].seen_min_size) == ("书法", 6)
        assert other[calligraphy].seen_name_en == "Calligraphy"
        assert other[taiji].offered is True
    assert set(selectors.offered_categories(two_districts.d1.pk).values_list("pk", flat=True)) == {
        tree["culture"].pk,
        tree["sport"].pk,
        calligraphy,
    }
    # Reading changes nothing, and as_seen instances carry the district's values without touching the rows.
    seen = selectors.as_seen(selectors.categories_seen_by(two_districts.d1.pk).filter(pk=calligraphy))
    assert (seen[0].name, seen[0].min_size) == ("软笔书法", 3)
    assert snapshot(Category.objects.all(), *CITY_FIELDS) == city


def test_a_node_the_city_added_after_adopting_is_seen_as_the_city_default(two_districts, tree):
    added = CategoryFactory(name="篆刻", parent=tree["culture"], min_size=4, max_size=12)
    seen = selectors.categories_seen_by(two_districts.d1.pk).get(pk=added.pk)
    assert (seen.seen_name, seen.seen_min_size, seen.offered) == ("篆刻", 4, True)


def test_offered_category_refuses_what_a_district_hides_and_what_lies_below_it(two_districts, tree):
    # d2 hides a whole field: the interest below it is not offered either, in d2 only.
    category_defaults.district_categories_adopt(district_id=two_districts.d2.pk, actor=two_districts.office2)
    category_defaults.district_category_adapt(
        version=DistrictCategory.objects.get(district=two_districts.d2, category=tree["culture"]),
        actor=two_districts.office2,
        is_active=False,
    )
    d1, d2 = two_districts.d1.pk, two_districts.d2.pk

    assert selectors.offered_category(pk=tree["taiji"].pk, district=d1) is None
    mine = selectors.offered_category(pk=tree["calligraphy"].pk, district=d1)
    assert (mine.name, mine.min_size, mine.parent.name) == ("软笔书法", 3, "文化")
    assert selectors.offered_category(pk=tree["calligraphy"].pk, district=d2) is None
    assert selectors.offered_category(pk=tree["taiji"].pk, district=d2).name == "太极拳"


def test_search_shows_each_districts_names_and_hides_what_it_hides(two_districts, tree):
    d1_profile = _profile(_resident(two_districts.c1))
    d2_profile = _profile(_resident(two_districts.c2))

    assert [c.name for c in search_categories("软笔", profile=d1_profile)] == ["软笔书法"]
    assert [c.name for c in search_categories("shufa", profile=d1_profile)] == ["软笔书法"]
    assert [c.name for c in search_categories("shufa", profile=d2_profile)] == ["书法"]
    assert search_categories("软笔", profile=d2_profile) == []
    assert search_categories("taiji", profile=d1_profile) == []
    assert [c.name for c in search_categories("taiji", profile=d2_profile)] == ["太极拳"]
    assert [c.name for c in search_categories("taiji")] == ["太极拳"]


def test_the_search_page_queries_do_not_grow_with_the_districts_adaptations(
    client, two_districts, tree, django_assert_num_queries
):
    user = _resident(two_districts.c1)
    client.force_login(user)
    url = reverse("interests:search") + "?q=shu"
    # session, user, profile (+community, street), categories with their counts (one query)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert [c.name for c in response.context["results"]] == ["软笔书法"]
    for n in range(5):
        leaf = CategoryFactory(name=f"书{n}", parent=tree["culture"])
        category_defaults.district_categories_adopt(
            district_id=two_districts.d1.pk, actor=two_districts.office1, categories=[leaf]
        )
        category_defaults.district_category_adapt(
            version=DistrictCategory.objects.get(district=two_districts.d1, category=leaf),
            actor=two_districts.office1,
            name=f"书艺{n}",
        )
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["results"]) == 6


def test_the_order_form_offers_the_districts_version_only(client, two_districts, tree):
    d1_user, d2_user = _resident(two_districts.c1), _resident(two_districts.c2)
    url = reverse("interests:order_create")

    client.force_login(d1_user)
    page = client.get(url, {"category": tree["calligraphy"].pk})
    assert page.status_code == 200
    assert page.context["category"].name == "软笔书法"
    assert client.get(url, {"category": tree["taiji"].pk}).status_code == 404
    # Posted by hand: refused, nothing ordered.
    refused = client.post(url, {"category": tree["taiji"].pk, "note": ""})
    assert refused.status_code == 400
    assert not d1_user.orders.exists()

    client.force_login(d2_user)
    assert client.get(url, {"category": tree["calligraphy"].pk}).context["category"].name == "书法"
    placed = client.post(url, {"category": tree["taiji"].pk, "note": ""})
    assert placed.status_code == 302
    assert list(d2_user.orders.values_list("category_id", flat=True)) == [tree["taiji"].pk]


def test_the_profile_offers_each_district_its_interests(client, two_districts, tree):
    d1_user, d2_user = _resident(two_districts.c1), _resident(two_districts.c2)

    def offered(user):
        client.force_login(user)
        form = client.get(reverse("interests:profile")).context["form"]
        return sorted(label for _pk, label in form.fields["interests"].choices)

    assert offered(d1_user) == ["软笔书法"]
    assert offered(d2_user) == sorted(["书法", "太极拳"])


def test_the_class_filter_lists_the_districts_tree(client, two_districts, tree, django_assert_num_queries):
    d1_user = _resident(two_districts.c1)
    categories, _communities = filter_choices(selectors.resident_district(d1_user))
    assert {name for _pk, name, _parent, _en in categories} == {"文化", "体育", "软笔书法"}
    categories, _communities = filter_choices(two_districts.d2.pk)
    assert {name for _pk, name, _parent, _en in categories} == {"文化", "体育", "书法", "太极拳"}

    client.force_login(d1_user)
    response = client.get(reverse("activities:nearby"))
    labels = [label for _pk, label in response.context["form"].fields["category"].choices]
    assert "\u3000软笔书法" in labels
    assert not any("太极拳" in str(label) for label in labels)


def test_the_api_tree_is_the_residents_districts(client, two_districts, tree):
    d1_user, d2_user = _resident(two_districts.c1), _resident(two_districts.c2)

    def tree_of(user):
        client.force_login(user)
        body = client.get("/api/v1/categories/").json()
        return {row["id"]: (row["name"], row["min_size"]) for row in body["results"]}

    mine = tree_of(d1_user)
    assert mine[tree["calligraphy"].pk] == ("软笔书法", 3)
    assert tree["taiji"].pk not in mine
    theirs = tree_of(d2_user)
    assert theirs[tree["calligraphy"].pk] == ("书法", 6)
    assert theirs[tree["taiji"].pk] == ("太极拳", 5)
    client.force_login(d1_user)
    assert client.get(f"/api/v1/categories/{tree['taiji'].pk}/").status_code == 404


def test_an_interest_a_district_hides_cannot_be_ordered_there_by_any_entry_point(two_districts, tree):
    """The rule lives in the service (activities.orders.order_place): the portal form, the API and the staff
    desk all reach it. d1 hides 太极拳; d2 does not."""
    from rest_framework.test import APIClient

    from activities.models import Order
    from activities.orders import order_place
    from community_college.errors import ConflictError

    d1_user, d2_user = _resident(two_districts.c1), _resident(two_districts.c2)
    with pytest.raises(ConflictError) as refused:
        order_place(resident=d1_user, category=tree["taiji"])
    assert refused.value.code == "not_offered"
    api = APIClient()
    api.force_authenticate(d1_user)
    response = api.post("/api/v1/orders/", {"category": tree["taiji"].pk}, format="json")
    assert response.status_code in (400, 404, 409), response.content
    assert Order.objects.count() == 0
    # The other district's resident orders it, and the first district's resident orders what it still offers.
    assert order_place(resident=d2_user, category=tree["taiji"]).category_id == tree["taiji"].pk
    assert order_place(resident=d1_user, category=tree["calligraphy"]).category_id == tree["calligraphy"].pk
    assert sorted(Order.objects.values_list("resident_id", "category_id")) == sorted(
        [(d2_user.pk, tree["taiji"].pk), (d1_user.pk, tree["calligraphy"].pk)]
    )
