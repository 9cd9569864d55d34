"""Proposing a showcase over the API: the group's leader gets a 201 and a booked room; someone else a 403, a
booked room a 409, bad input a 400, each translated and with nothing saved; the other group is untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities.enums import CourseKind, ShowcaseStatus
from activities.models import Course, Showcase
from tests.factories import CommunityFactory, StreetFactory, VenueFactory
from tests.factories.pairs import snapshot, two_of_everything
from tests.factories.showcases import leader_of
from venues.models import Booking

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/showcases/"


def api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


@pytest.fixture
def pair():
    return two_of_everything()


def _body(owner, venue, *, days=3, **changes):
    start = timezone.localtime(timezone.now().replace(microsecond=0, second=0) + timedelta(days=days))
    return {
        "group": owner.pk,
        "title": "太极拳汇报演出",
        "kind": "performance",
        "venue": venue.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 30,
        "programme": "太极拳；合唱",
        "participants": "小组全体成员",
        **changes,
    }


def _saved():
    return (Showcase.objects.count(), Course.objects.count(), Booking.objects.count())


def test_a_leader_proposes_and_the_room_is_booked(pair):
    leader = leader_of(pair.group_a)
    leader_of(pair.group_b)
    before_b = snapshot(Course.objects.filter(community=pair.b), "status", "capacity", "venue_id")
    answer = api(leader).post(URL, _body(pair.group_a, pair.venue_a), format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    showcase = Showcase.objects.get()
    assert (body["id"], body["status"], body["proposed_by_me"], body["shown_by"]) == (
        showcase.pk,
        ShowcaseStatus.PROPOSED,
        True,
        pair.group_a.name,
    )
    assert (showcase.group, showcase.community, showcase.proposed_by) == (pair.group_a, pair.a, leader)
    assert showcase.audience.kind == CourseKind.SHOWCASE
    assert body["capacity"] == pair.venue_a.capacity  # never more seats than the room has
    assert Booking.objects.get(session__course=showcase.audience).venue == pair.venue_a
    # The other group and community are untouched.
    assert not Showcase.objects.filter(group=pair.group_b).exists()
    assert snapshot(Course.objects.filter(community=pair.b), "status", "capacity", "venue_id") == before_b


def test_someone_who_does_not_lead_the_group_is_refused(pair):
    leader_b = leader_of(pair.group_b)  # leads the other group, not this one
    before = _saved()
    answer = api(leader_b).post(URL, _body(pair.group_a, pair.venue_a), format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"
    assert _saved() == before


def test_a_booked_room_is_a_409_and_nothing_is_saved(pair):
    leader = leader_of(pair.group_a)
    assert api(leader).post(URL, _body(pair.group_a, pair.venue_a), format="json").status_code == 201
    before = _saved()
    answer = api(leader).post(URL, _body(pair.group_a, pair.venue_a, title="第二场"), format="json")
    assert answer.status_code == 409
    assert answer.json()["code"]
    assert _saved() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"group": None}, "group"),  # neither the group nor a class
        ({"kind": "party"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"days": -1}, "starts_at"),  # in the past
    ],
)
def test_bad_input_is_a_400_naming_the_field(pair, changes, field):
    leader = leader_of(pair.group_a)
    days = changes.pop("days", 3)
    before = _saved()
    answer = api(leader).post(URL, _body(pair.group_a, pair.venue_a, days=days, **changes), format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.content.decode()
    assert _saved() == before


def test_a_venue_of_another_street_is_refused_in_the_callers_language(pair):
    leader = leader_of(pair.group_a)
    elsewhere = VenueFactory(community=CommunityFactory(street=StreetFactory(district=pair.district)))
    answer = api(leader, "zh-hans").post(URL, _body(pair.group_a, elsewhere), format="json")
    assert answer.status_code == 400
    english = api(leader).post(URL, _body(pair.group_a, elsewhere), format="json")
    assert "Choose a venue in the street" in english.content.decode()
    assert Showcase.objects.count() == 0
