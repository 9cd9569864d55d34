"""Interest search in Chinese, pinyin and initials, with htmx live results and counts near me."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.enums import CourseStatus
from activities.resident_selectors import SEARCH_LIMIT, search_categories
from interests.enums import OrderStatus
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    InterestGroupFactory,
    OrderFactory,
    SessionFactory,
    StreetFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def _open_class(category, community, *, days=2):
    # Distance is measured to the class's usual venue, as on the "classes near me" page.
    venue = VenueFactory(community=community)
    course = CourseFactory(category=category, community=community, venue=venue, status=CourseStatus.OPEN)
    SessionFactory(course=course, venue=venue, starts_at=timezone.now() + timedelta(days=days))
    return course


@pytest.mark.parametrize("query", ["taiji", "tjq", "太极", "TaiJi", "tai ji", "jiquan", "太极拳", "tai chi"])
def test_search_finds_taiji_by_chinese_pinyin_and_initials(taiji, query):
    CategoryFactory(name="书法", parent=taiji.parent)
    assert [c.name for c in search_categories(query)] == ["太极拳"]


@pytest.mark.parametrize("query", ["xyz", "", "   ", "q"])
def test_search_without_a_match_finds_nothing(taiji, query):
    assert list(search_categories(query)) == []


def test_search_skips_interests_no_longer_offered(taiji):
    CategoryFactory(name="太极剑", parent=taiji.parent, is_active=False)
    assert [c.name for c in search_categories("taiji")] == ["太极拳"]


def test_search_counts_open_classes_and_groups_near_me(resident, community, taiji):
    near = CommunityFactory(street=community.street)
    elsewhere = CommunityFactory(street=StreetFactory(), latitude=30.2, longitude=107.2)
    _open_class(taiji, community)
    _open_class(taiji, near)
    _open_class(taiji, elsewhere)  # 70 km away
    CourseFactory(category=taiji, community=community, venue=VenueFactory(community=community))  # no meeting ahead
    _open_class(taiji, community, days=-2)  # its only meeting is over
    closed = _open_class(taiji, community)
    closed.status = CourseStatus.CLOSED
    closed.save()
    InterestGroupFactory(category=taiji, community=community)
    InterestGroupFactory(category=taiji, community=near)
    InterestGroupFactory(category=taiji, community=elsewhere)
    InterestGroupFactory(category=taiji, community=community, is_active=False)

    [found] = search_categories("tjq", user=resident, profile=resident.profile)
    assert (found.open_classes, found.group_count, found.is_field, found.my_open_order) == (2, 2, False, False)
    [everywhere] = search_categories("tjq")
    assert (everywhere.open_classes, everywhere.group_count) == (3, 3)


def test_search_a_field_counts_classes_of_its_interests(resident, community, taiji):
    _open_class(taiji, community)
    [field] = search_categories("体育", user=resident, profile=resident.profile)
    assert (field.name, field.is_field, field.open_classes) == ("体育健身", True, 1)


def test_search_page_shows_field_counts_and_actions(resident_client, resident, community, taiji):
    _open_class(taiji, community)
    html = resident_client.get(reverse("interests:search"), {"q": "taiji"}).content.decode()
    assert "Tai chi" in html
    assert "Field: Sports" in html
    assert "1 open class near you" in html
    assert "0 interest groups near you" in html
    assert f'href="{reverse("activities:nearby")}?category={taiji.pk}"' in html
    assert f'href="{reverse("interests:order_create")}?category={taiji.pk}"' in html


def test_search_page_says_when_i_already_ordered(resident_client, resident, taiji):
    OrderFactory(resident=resident, category=taiji)
    response = resident_client.get(reverse("interests:search"), {"q": "taiji"})
    html = response.content.decode()
    assert "You have ordered this" in html
    assert f"{reverse('interests:order_create')}?category={taiji.pk}" not in html


def test_search_page_offers_no_order_for_a_whole_field(client, taiji):
    html = client.get(reverse("interests:search"), {"q": "tiyu"}).content.decode()
    assert "A whole field of interests" in html
    assert "Order this interest" not in html


def test_search_htmx_request_gets_only_the_results(client, taiji):
    response = client.get(reverse("interests:search"), {"q": "tjq"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert [t.name for t in response.templates if t.name.startswith("interests/")] == [
        "interests/_search_results.html",
        *["interests/_category_name.html"] * (html.count("<article") * 2),
    ]
    assert "<html" not in html
    assert "太极拳" in html


def test_search_full_page_wires_htmx_to_the_results(client):
    html = client.get(reverse("interests:search")).content.decode()
    assert f'hx-get="{reverse("interests:search")}"' in html
    assert 'hx-target="#search-results"' in html
    assert 'hx-trigger="input changed delay:400ms, search"' in html


def test_search_no_match_says_so(client, taiji):
    html = client.get(reverse("interests:search"), {"q": "xyz"}).content.decode()
    assert "Nothing matches “xyz”" in html


def test_search_is_open_to_visitors(client, taiji):
    response = client.get(reverse("interests:search"), {"q": "taiji"})
    assert response.status_code == 200
    assert "1 open class" not in response.content.decode()  # no profile: counts are not "near you"
    assert "0 open classes" in response.content.decode()


@pytest.mark.parametrize("size", [1, 50])
def test_search_queries_do_not_grow_with_results(resident_client, resident, community, sports, django_assert_num_queries, size):
    for n in range(size):
        category = CategoryFactory(name=f"太极{n}式", parent=sports)
        _open_class(category, community)
        InterestGroupFactory(category=category, community=community)
        OrderFactory(resident=resident, category=category, status=OrderStatus.SUBMITTED)
    # session, user, profile, the search with its counts
    with django_assert_num_queries(4):
        response = resident_client.get(reverse("interests:search"), {"q": "taiji"}, HTTP_HX_REQUEST="true")
    assert len(response.context["results"]) == min(size, SEARCH_LIMIT)
    assert all(c.open_classes == 1 and c.group_count == 1 and c.my_open_order for c in response.context["results"])


def test_search_in_a_three_level_tree_shows_the_path_and_counts_grandchildren(resident_client, resident, community):
    sports = CategoryFactory(name="体育")
    traditional = CategoryFactory(name="传统健身", parent=sports)
    taiji = CategoryFactory(name="太极拳", parent=traditional)
    _open_class(taiji, community)
    InterestGroupFactory(category=taiji, community=community)

    [root] = search_categories("tiyu", user=resident, profile=resident.profile)
    assert (root.open_classes, root.group_count, root.is_field) == (1, 1, True)
    html = resident_client.get(reverse("interests:search"), {"q": "tjq"}).content.decode()
    assert "Field: 体育 › 传统健身" in html
    assert resident_client.get(reverse("interests:groups"), {"category": sports.pk}).context["groups"] != []
