"""Showcases over the API: near me inside the walking circle first, register (201, then 409 in the error shape),
moderation in scope, the staff workbook with formula-safe cells, and query counts that do not grow."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from activities.enums import MediaStatus
from activities.models import Registration, ShowcaseMedia
from activities.showcases import media_add, story_create, story_publish
from tests.factories import CommunityFactory, VenueFactory
from tests.factories.pairs import two_of_everything
from tests.factories.showcases import approved, backdate, leader_of, photo_upload

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def pair():
    return two_of_everything()


def test_nearby_puts_the_walking_circle_first(pair):
    far_community = CommunityFactory(
        street=pair.a.street, latitude=pair.a.latitude + 0.03, longitude=pair.a.longitude
    )
    far_venue = VenueFactory(
        community=far_community
    )  # about 3.3 km north: in the search box, out of the circle
    leader = leader_of(pair.group_a)
    soon_far = approved(
        group=pair.group_a,
        leader=leader,
        venue=far_venue,
        staff=pair.staff_a,
        starts_at=timezone.now().replace(microsecond=0) + timedelta(days=1),
    )
    later_near = approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a)
    resident = pair.resident()
    body = api(resident).get("/api/v1/showcases/nearby/").json()
    assert [row["id"] for row in body["results"]] == [later_near.pk, soon_far.pk]
    assert body["results"][0]["within_walk"] is True and body["results"][0]["distance_km"] == 0.0
    assert body["results"][1]["within_walk"] is False and 3.0 < body["results"][1]["distance_km"] < 3.6


def test_register_then_twice_is_a_409_in_the_error_shape(pair):
    showcase = approved(
        group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a, staff=pair.staff_a
    )
    resident = pair.resident()
    first = api(resident).post(f"/api/v1/showcases/{showcase.pk}/register/")
    assert first.status_code == 201
    assert (first.json()["showcase"], first.json()["status"]) == (showcase.pk, "confirmed")
    again = api(resident).post(f"/api/v1/showcases/{showcase.pk}/register/")
    assert again.status_code == 409
    assert again.json() == {
        "code": "already_registered",
        "detail": "You are already registered for this showcase.",
    }
    assert Registration.objects.filter(course=showcase.audience).count() == 1
    mine = api(resident).get("/api/v1/me/showcases/").json()
    assert [(r["id"], r["my_registration"]) for r in mine["results"]] == [(showcase.pk, "confirmed")]
    assert api(pair.resident()).get("/api/v1/me/showcases/").json()["count"] == 0


def test_moderation_over_the_api_is_scoped(pair):
    leader = leader_of(pair.group_a)
    showcase = backdate(approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a))
    item = media_add(actor=leader, showcase=showcase, upload=photo_upload(), consent_confirmed=True)
    assert (
        api(pair.staff_b)
        .post(f"/api/v1/staff/showcase-media/{item.pk}/moderate/", {"approve": True})
        .status_code
        == 404
    )
    assert api(leader).get(f"/api/v1/showcases/{showcase.pk}/photos/").json()["results"] == []
    answer = api(pair.staff_a).post(
        f"/api/v1/staff/showcase-media/{item.pk}/moderate/", {"approve": True}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == MediaStatus.APPROVED
    photos = api(pair.resident(pair.b)).get(f"/api/v1/showcases/{showcase.pk}/photos/").json()["results"]
    assert [p["id"] for p in photos] == [item.pk]
    assert ShowcaseMedia.objects.get(pk=item.pk).moderated_by == pair.staff_a


def test_staff_workbook_is_scoped_and_formula_safe(pair):
    approved(
        group=pair.group_a,
        leader=leader_of(pair.group_a),
        venue=pair.venue_a,
        staff=pair.staff_a,
        title="=HYPERLINK(1)",
    )
    approved(
        group=pair.group_b,
        leader=leader_of(pair.group_b),
        venue=pair.venue_b,
        staff=pair.staff_b,
        title="b 的展示",
    )
    response = api(pair.staff_a).get("/api/v1/staff/showcases.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["'=HYPERLINK(1)"]


def test_published_stories_only(pair):
    draft = story_create(actor=pair.staff_a, community=pair.a, title="草稿", body="…")
    shown = story_create(
        actor=pair.staff_b, community=pair.b, title="合唱团的故事", body="…", consent_recorded=True
    )
    story_publish(story=shown, actor=pair.staff_b)
    body = api(pair.resident()).get("/api/v1/stories/").json()
    assert [s["id"] for s in body["results"]] == [shown.pk]
    staff = api(pair.staff_a).get("/api/v1/staff/stories/").json()
    assert [s["id"] for s in staff["results"]] == [draft.pk]


@pytest.mark.parametrize("count", [1, 3])
def test_nearby_queries_do_not_grow(pair, count, django_assert_num_queries):
    leader = leader_of(pair.group_a)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    for i in range(count):
        approved(
            group=pair.group_a,
            leader=leader,
            venue=pair.venue_a,
            staff=pair.staff_a,
            starts_at=start + timedelta(hours=3 * i),
        )
    resident = pair.resident()
    client = api(resident)
    # the showcases with venue, community, group, class and audience; my registrations among them (the
    # profile and its community are already on the signed-in user object here; a real request reads them once)
    with django_assert_num_queries(2):
        response = client.get("/api/v1/showcases/nearby/")
    assert response.json()["count"] == count
