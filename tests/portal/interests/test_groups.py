"""Interest groups of my community and street: see, join, leave; a group's upcoming activities."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interests.models import GroupMembership
from interests.views import GROUPS_PAGE_SIZE
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    GroupMembershipFactory,
    InterestGroupFactory,
    SessionFactory,
    StreetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour_community(community):
    return CommunityFactory(street=community.street, name="银河社区")


def test_groups_lists_my_community_first_then_my_street_never_other_streets(resident_client, community, neighbour_community, taiji):
    far = InterestGroupFactory(name="A 远处小组", community=CommunityFactory(street=StreetFactory()), category=taiji)
    nearby = InterestGroupFactory(name="B 邻居太极队", community=neighbour_community, category=taiji)
    mine = InterestGroupFactory(name="C 金山太极队", community=community, category=taiji)
    InterestGroupFactory(name="D 已解散", community=community, category=taiji, is_active=False)
    response = resident_client.get(reverse("interests:groups"))
    assert response.context["groups"] == [mine, nearby]
    html = response.content.decode()
    assert "nearby community" in html
    assert far.name not in html


def test_groups_filter_by_interest_or_field(resident_client, community, taiji):
    calligraphy = CategoryFactory(name="书法")
    tai = InterestGroupFactory(community=community, category=taiji)
    InterestGroupFactory(community=community, category=calligraphy)
    assert resident_client.get(reverse("interests:groups"), {"category": taiji.pk}).context["groups"] == [tai]
    assert resident_client.get(reverse("interests:groups"), {"category": taiji.parent_id}).context["groups"] == [tai]


def test_groups_shows_members_and_what_is_ahead(resident_client, resident, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji)
    GroupMembershipFactory(group=group, user=resident)
    GroupMembershipFactory(group=group)
    SessionFactory(course=CourseFactory(community=community, group=group))
    [shown] = resident_client.get(reverse("interests:groups")).context["groups"]
    assert (shown.member_count, shown.is_member, shown.upcoming) == (2, True, 1)


def test_groups_needs_a_home_community(client):
    client.force_login(UserFactory())
    response = client.get(reverse("interests:groups"))
    assert response["Location"].startswith(reverse("interests:profile"))


def test_groups_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("interests:groups"))
    assert response["Location"].startswith(reverse("account_login"))


def test_join_and_leave_a_group(resident_client, resident, neighbour_community, taiji):
    group = InterestGroupFactory(community=neighbour_community, category=taiji)
    response = resident_client.post(reverse("interests:group_join", args=[group.pk]))
    assert response["Location"] == reverse("interests:group_detail", args=[group.pk])
    assert GroupMembership.objects.filter(group=group, user=resident).count() == 1
    # Joining twice (a double tap) keeps one membership.
    resident_client.post(reverse("interests:group_join", args=[group.pk]))
    assert GroupMembership.objects.filter(group=group, user=resident).count() == 1

    page = resident_client.get(reverse("interests:group_detail", args=[group.pk]))
    assert page.context["group"].is_member is True
    assert reverse("interests:group_leave", args=[group.pk]) in page.content.decode()

    resident_client.post(reverse("interests:group_leave", args=[group.pk]))
    assert not GroupMembership.objects.filter(group=group, user=resident).exists()


def test_join_returns_to_the_page_it_came_from(resident_client, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji)
    response = resident_client.post(reverse("interests:group_join", args=[group.pk]), {"next": reverse("interests:groups")})
    assert response["Location"] == reverse("interests:groups")


def test_join_a_group_of_another_street_is_404(resident_client, resident, taiji):
    group = InterestGroupFactory(community=CommunityFactory(street=StreetFactory()), category=taiji)
    assert resident_client.post(reverse("interests:group_join", args=[group.pk])).status_code == 404
    assert not GroupMembership.objects.filter(user=resident).exists()


def test_join_a_full_group_says_so(resident_client, resident, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji, max_members=1)
    GroupMembershipFactory(group=group)
    response = resident_client.post(reverse("interests:group_join", args=[group.pk]), follow=True)
    assert "This group is full." in response.content.decode()
    assert not GroupMembership.objects.filter(group=group, user=resident).exists()


def test_join_an_inactive_group_says_so(resident_client, resident, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji, is_active=False)
    response = resident_client.post(reverse("interests:group_join", args=[group.pk]), follow=True)
    assert "no longer active" in response.content.decode()
    assert not GroupMembership.objects.filter(group=group, user=resident).exists()


def test_join_and_leave_need_post(resident_client, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji)
    assert resident_client.get(reverse("interests:group_join", args=[group.pk])).status_code == 405
    assert resident_client.get(reverse("interests:group_leave", args=[group.pk])).status_code == 405


def test_group_page_lists_its_upcoming_activities_only(resident_client, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji)
    course = CourseFactory(community=community, group=group, title="太极队周练")
    ahead = SessionFactory(course=course, starts_at=timezone.now() + timedelta(days=1))
    SessionFactory(course=course, starts_at=timezone.now() - timedelta(days=1))
    SessionFactory(course=CourseFactory(community=community, title="别的课"))
    response = resident_client.get(reverse("interests:group_detail", args=[group.pk]))
    assert response.context["sessions"] == [ahead]
    assert "太极队周练" in response.content.decode()


def test_group_page_of_another_street_is_readable_but_not_joinable(resident_client, taiji):
    group = InterestGroupFactory(community=CommunityFactory(street=StreetFactory()), category=taiji)
    response = resident_client.get(reverse("interests:group_detail", args=[group.pk]))
    assert response.status_code == 200
    assert response.context["can_join"] is False
    assert reverse("interests:group_join", args=[group.pk]) not in response.content.decode()


def test_group_page_of_an_inactive_or_missing_group_is_404(resident_client, community, taiji):
    group = InterestGroupFactory(community=community, category=taiji, is_active=False)
    assert resident_client.get(reverse("interests:group_detail", args=[group.pk])).status_code == 404
    assert resident_client.get(reverse("interests:group_detail", args=[987654])).status_code == 404


@pytest.mark.parametrize("size", [1, 50])
def test_groups_queries_do_not_grow_with_groups(resident_client, resident, community, taiji, django_assert_num_queries, size):
    for n in range(size):
        group = InterestGroupFactory(community=community, category=taiji, name=f"小组{n}")
        GroupMembershipFactory(group=group, user=resident)
        SessionFactory(course=CourseFactory(community=community, group=group))
    # session, user, profile, the count for the pages, one page of groups with counts
    with django_assert_num_queries(5):
        response = resident_client.get(reverse("interests:groups"))
    assert len(response.context["groups"]) == min(size, GROUPS_PAGE_SIZE)


def test_groups_are_paged_own_community_first(resident_client, resident, community, taiji):
    # Issue 19 item 10: the list was eleven screens long with no paging.
    neighbour = CommunityFactory(street=community.street, name="邻里社区")
    for n in range(GROUPS_PAGE_SIZE):
        InterestGroupFactory(community=neighbour, category=taiji, name=f"邻里小组{n:02d}")
    for n in range(3):
        InterestGroupFactory(community=community, category=taiji, name=f"本社区小组{n}")
    first = resident_client.get(reverse("interests:groups"))
    names = [g.name for g in first.context["groups"]]
    assert len(names) == GROUPS_PAGE_SIZE
    assert names[:3] == ["本社区小组0", "本社区小组1", "本社区小组2"]
    assert "page=2" in first.content.decode()
    second = resident_client.get(reverse("interests:groups"), {"page": 2})
    rest = [g.name for g in second.context["groups"]]
    assert len(rest) == 3 and not set(rest) & set(names)


@pytest.mark.parametrize("size", [1, 50])
def test_group_page_queries_do_not_grow_with_activities(resident_client, community, taiji, django_assert_num_queries, size):
    group = InterestGroupFactory(community=community, category=taiji)
    course = CourseFactory(community=community, group=group)
    for n in range(size):
        SessionFactory(course=course, starts_at=timezone.now() + timedelta(days=1, hours=n))
    # session, user, the group, profile, sessions, the group's 榜样 badges
    with django_assert_num_queries(6):
        response = resident_client.get(reverse("interests:group_detail", args=[group.pk]))
    assert len(response.context["sessions"]) == min(size, 20)
