"""The portal's showcase pages: proposing in a booked room is refused on the form with nothing saved, photos are
served only after moderation (or to their uploader and the community's staff), the walls cost a fixed number
of queries, and the dashboards' showcases tab and the star indicator count what was held."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import Showcase
from activities.showcases import media_add, media_moderate, story_create, story_publish
from dashboards import services as dashboard_services
from dashboards.models import StandardIndicator, StarStandard
from ratings import stars
from ratings.models import CollegeStarRecord
from tests.factories import CollegeFactory
from tests.factories.pairs import two_of_everything
from tests.factories.showcases import approved, backdate, leader_of, photo_upload, propose
from venues.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return two_of_everything()


def client_for(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def test_proposing_in_a_booked_room_shows_the_refusal_and_saves_nothing(pair):
    leader = leader_of(pair.group_a)
    first = propose(group=pair.group_a, leader=leader, venue=pair.venue_a)
    start = timezone.localtime(first.starts_at) + timedelta(minutes=30)
    response = client_for(leader).post(
        reverse("activities:showcase_propose"),
        {
            "owner": f"g{pair.group_a.pk}",
            "kind": "exhibition",
            "title": "书画展",
            "venue": pair.venue_a.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 20,
            "programme": "书法、国画",
            "participants": "小组成员",
        },
    )
    assert response.status_code == 200
    assert "is already booked at that time" in response.content.decode()
    assert Showcase.objects.count() == 1 and Booking.objects.count() == 1


def test_a_resident_who_leads_nothing_cannot_propose(pair):
    response = client_for(pair.resident()).get(reverse("activities:showcase_propose"))
    assert response.status_code == 302 and response.url == reverse("activities:showcases")


def test_photos_are_served_after_moderation_only(pair):
    leader = leader_of(pair.group_a)
    showcase = backdate(approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a))
    item = media_add(actor=leader, showcase=showcase, upload=photo_upload(), consent_confirmed=True)
    url = reverse("activities:showcase_media", args=[item.pk, "thumb"])

    def status(user=None) -> int:
        response = client_for(user).get(url)
        if response.streaming:
            # Read to the end: the test client's wrapper then closes the file without the end-of-request
            # signal, which would close the test's own database connection on PostgreSQL.
            b"".join(response.streaming_content)
        return response.status_code

    assert [status(), status(pair.resident()), status(pair.staff_b)] == [404, 404, 404]
    assert [status(leader), status(pair.staff_a)] == [200, 200]
    media_moderate(item=item, actor=pair.staff_a, approve=True)
    response = client_for().get(url)
    assert response.streaming and b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG, read and closed
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert status(pair.resident(pair.b)) == 200


@pytest.mark.parametrize("count", [1, 3])
def test_the_wall_costs_the_same_for_more_showcases(pair, count, django_assert_num_queries):
    leader = leader_of(pair.group_a)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    for i in range(count):
        showcase = backdate(
            approved(
                group=pair.group_a,
                leader=leader,
                venue=pair.venue_a,
                staff=pair.staff_a,
                starts_at=start + timedelta(hours=3 * i),
            ),
            days=2 + i,
        )
        media_moderate(
            item=media_add(actor=leader, showcase=showcase, upload=photo_upload(), consent_confirmed=True),
            actor=pair.staff_a,
            approve=True,
        )
        story = story_create(
            actor=pair.staff_a, community=pair.a, title=f"故事{i}", body="…", consent_recorded=True
        )
        story_publish(story=story, actor=pair.staff_a)
        media_moderate(
            item=media_add(actor=pair.staff_a, story=story, upload=photo_upload(), consent_confirmed=True),
            actor=pair.staff_a,
            approve=True,
        )
    client = client_for()
    # held showcases, their photos; stories, their photos; coming showcases; the colleges
    with django_assert_num_queries(6):
        response = client.get(reverse("activities:showcase_wall"))
    assert response.content.decode().count('src="/showcases/media/') == 2 * count


def test_dashboards_tab_counts_showcases_per_community(pair):
    leader = leader_of(pair.group_a)
    backdate(approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a))
    approved(group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b, staff=pair.staff_b)
    response = client_for(pair.staff_a).get(reverse("dashboards:showcases"))
    assert response.status_code == 200
    table = response.context["page"].tables[0]
    # Community staff see their own community only: one held, none coming.
    assert [row[2:] for row in table.rows] == [[1, 0, 0, 0, 0]]
    response = client_for(pair.street_staff).get(reverse("dashboards:showcases"))
    assert sorted(row[2:4] for row in response.context["page"].tables[0].rows) == [[0, 1], [1, 0]]


def test_held_showcases_move_a_star(pair):
    """Under a standard that weighs only showcases, a college whose groups held two last month rises a level;
    the other college, with none, stays where it was."""
    college_a, college_b = CollegeFactory(community=pair.a), CollegeFactory(community=pair.b)
    last_month = stars.previous_month(timezone.localdate())
    standard = StarStandard.objects.create(
        name="展示",
        effective_from=last_month,
        two_stars=20,
        three_stars=40,
        four_stars=60,
        five_stars=80,
        published_at=timezone.now(),
    )
    for code in stars.INDICATOR_BY_CODE:
        weight = 1 if code == "showcases_held" else 0
        StandardIndicator.objects.create(standard=standard, code=code, weight=weight, worst=0, best=2)
    leader = leader_of(pair.group_a)
    for i in range(2):
        showcase = approved(
            group=pair.group_a,
            leader=leader,
            venue=pair.venue_a,
            staff=pair.staff_a,
            starts_at=timezone.now().replace(microsecond=0) + timedelta(days=1, hours=3 * i),
        )
        held_on = timezone.make_aware(datetime.combine(last_month.replace(day=10 + i), time(19)))
        Showcase.objects.filter(pk=showcase.pk).update(
            starts_at=held_on, ends_at=held_on + timedelta(hours=2)
        )
    dashboard_services.college_stars_recompute(period=last_month)
    a = CollegeStarRecord.objects.get(college=college_a, period=last_month)
    b = CollegeStarRecord.objects.get(college=college_b, period=last_month)
    assert a.indicators["indicators"]["showcases_held"]["value"] == 2.0
    assert (a.score, a.stars) == (100.0, 2)  # target 5 stars; up one level a month
    assert (b.score, b.stars) == (0.0, 1)
