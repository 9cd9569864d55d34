"""Resident endpoints: what each answers, and every refusal with its status and error shape."""

from __future__ import annotations

from accounts.models import ApiToken
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Registration
from activities.orders import order_accept
from interests.enums import OrderStatus
from notices.models import Notice
from tests.factories import CourseFactory, ResidentFactory, SessionFactory, WeeklySlotFactory

from .objects import owned_by


def test_profile_patch_keeps_what_was_not_sent(world, api):
    response = api(world.owner).patch(
        "/api/v1/me/profile/", {"consent_sms": False, "interests": [world.leaf.pk]}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["consent_sms"], response.json()["interests"], response.json()["community"]) == (
        False,
        [world.leaf.pk],
        world.home.pk,
    )


def test_profile_refusal_is_a_field_error_in_the_users_language(world, api):
    # The neighbour has no e-mail address: e-mail notices are refused by profile_update.
    english = api(world.neighbour).patch("/api/v1/me/profile/", {"consent_email": True}, format="json")
    chinese = api(world.neighbour, "zh-hans").patch(
        "/api/v1/me/profile/", {"consent_email": True}, format="json"
    )
    assert english.status_code == chinese.status_code == 400
    assert english.json()["code"] == "invalid"
    assert english.json()["fields"]["consent_email"] == [
        "Add an e-mail address to your account before choosing notices by e-mail."
    ]
    assert chinese.json()["fields"]["consent_email"] != english.json()["fields"]["consent_email"]


def test_first_patch_creates_the_profile(world, api):
    newcomer = ResidentFactory(profile=None)
    assert api(newcomer).get("/api/v1/me/profile/").status_code == 404
    missing = api(newcomer).patch("/api/v1/me/profile/", {}, format="json")
    assert (missing.status_code, list(missing.json()["fields"])) == (400, ["community"])
    created = api(newcomer).patch("/api/v1/me/profile/", {"community": world.home.pk}, format="json")
    assert (created.status_code, created.json()["latitude"]) == (200, world.home.latitude)


def test_category_search_finds_by_pinyin_and_chinese(world, api):
    client = api(world.owner)
    for q in ("taiji", "tjq", "太极"):
        assert [c["name"] for c in client.get("/api/v1/categories/search/", {"q": q}).json()] == ["太极拳"]
    assert client.get("/api/v1/categories/", {"root": True}).json()["results"][0]["name"] == "体育"


def test_order_place_cancel_and_refusals(world, api):
    client = api(world.owner)
    placed = client.post("/api/v1/orders/", {"category": world.leaf.pk, "note": "周末"}, format="json")
    assert placed.status_code == 201
    assert (placed.json()["status"], placed.json()["channel"]) == ("submitted", "app")
    duplicate = client.post("/api/v1/orders/", {"category": world.leaf.pk}, format="json")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_order")
    field = client.post("/api/v1/orders/", {"category": world.field.pk}, format="json")
    assert (field.status_code, field.json()["code"]) == (409, "not_leaf")
    unknown = client.post("/api/v1/orders/", {"category": 999999}, format="json")
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["category"])
    order_id = placed.json()["id"]
    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel/", {"reason": "搬家"}, format="json")
    assert cancelled.status_code == 200
    assert [step["status"] for step in cancelled.json()["timeline"]] == ["submitted", "cancelled"]
    again = client.post(f"/api/v1/orders/{order_id}/cancel/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_order_placement_is_throttled(world, api):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    # The rates are read once into the class; lower the one under test for this test only.
    ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "order_place": "1/hour"}
    try:
        client = api(world.owner)
        assert client.post("/api/v1/orders/", {"category": world.leaf.pk}, format="json").status_code == 201
        throttled = client.post("/api/v1/orders/", {"category": world.leaf.pk}, format="json")
        assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
        assert throttled.json()["retry_after"] > 0
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_register_waitlist_position_and_cancel(world, api):
    course = CourseFactory(category=world.leaf, community=world.home, capacity=1, slot=WeeklySlotFactory())
    SessionFactory(course=course)
    first = api(world.neighbour).post(f"/api/v1/courses/{course.pk}/register/")
    assert (first.status_code, first.json()["status"], first.json()["waiting_position"]) == (
        201,
        "confirmed",
        None,
    )
    second = api(world.owner).post(f"/api/v1/courses/{course.pk}/register/")
    assert (second.json()["status"], second.json()["waiting_position"]) == ("waitlisted", 1)
    # Idempotent: registering again answers the same registration.
    assert api(world.owner).post(f"/api/v1/courses/{course.pk}/register/").json()["id"] == second.json()["id"]
    assert api(world.neighbour).post(f"/api/v1/registrations/{first.json()['id']}/cancel/").status_code == 204
    mine = api(world.owner).get("/api/v1/registrations/").json()["results"]
    assert [(r["id"], r["status"]) for r in mine] == [(second.json()["id"], "confirmed")]


def test_register_for_a_closed_class_is_a_conflict(world, api):
    course = CourseFactory(category=world.leaf, community=world.home, status=CourseStatus.CLOSED)
    response = api(world.owner).post(f"/api/v1/courses/{course.pk}/register/")
    assert (response.status_code, response.json()["code"]) == (409, "course_closed")
    assert not Registration.objects.filter(course=course).exists()
    proposed = CourseFactory(category=world.leaf, community=world.home, status=CourseStatus.PROPOSED)
    assert api(world.owner).post(f"/api/v1/courses/{proposed.pk}/register/").status_code == 404


def test_nearby_lists_open_classes_with_distance_and_my_status(world, api):
    owned = owned_by(world)
    rows = api(world.owner).get("/api/v1/courses/nearby/").json()["results"]
    assert [(r["id"], r["my_registration"], r["distance_km"]) for r in rows] == [
        (owned.course.pk, RegistrationStatus.CONFIRMED, 0.0)
    ]
    bad = api(world.owner).get("/api/v1/courses/nearby/", {"weekday": 9})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["weekday"])


def test_my_sessions_and_calendar_link(world, api):
    owned = owned_by(world)
    sessions = api(world.owner).get("/api/v1/me/sessions/").json()["results"]
    assert owned.session.pk in [s["id"] for s in sessions]
    url = api(world.owner).get("/api/v1/me/calendar/").json()["url"]
    assert url.endswith(f"/calendar/{world.owner.profile.calendar_token}.ics")


def test_feedback_completes_and_refuses(world, api):
    owned = owned_by(world)
    client = api(world.owner)
    edited = client.post("/api/v1/ratings/", {"session": owned.rating.session_id, "stars": 2}, format="json")
    assert (edited.status_code, edited.json()["id"], edited.json()["stars"]) == (201, owned.rating.pk, 2)
    # A session not attended "does not exist" for this resident.
    not_attended = client.post("/api/v1/ratings/", {"session": owned.session.pk, "stars": 5}, format="json")
    assert (not_attended.status_code, list(not_attended.json()["fields"])) == (400, ["session"])
    out_of_range = client.post(
        "/api/v1/ratings/", {"session": owned.rating.session_id, "stars": 6}, format="json"
    )
    assert (out_of_range.status_code, list(out_of_range.json()["fields"])) == (400, ["stars"])


def test_notices_read_and_unread_count(world, api):
    owned = owned_by(world)
    client = api(world.owner)
    unread = Notice.objects.filter(recipient=world.owner, read_at__isnull=True).count()
    assert client.get("/api/v1/notices/unread-count/").json() == {"unread": unread}
    read = client.post(f"/api/v1/notices/{owned.notice.pk}/read/")
    assert read.json()["is_read"] is True
    assert client.get("/api/v1/notices/unread-count/").json() == {"unread": unread - 1}
    assert client.post("/api/v1/notices/read-all/").json() == {"marked": unread - 1}
    assert client.get("/api/v1/notices/", {"unread": True}).json()["count"] == 0


def test_token_sign_in_use_list_and_revoke(world, api):
    made = api().post(
        "/api/v1/auth/tokens/",
        {"name": "手机", "login": "13812341234", "password": "pass-word-123"},
        format="json",
    )
    assert made.status_code == 201
    secret = made.json()["secret"]
    token = ApiToken.objects.get(pk=made.json()["id"])
    assert token.digest != secret and secret.startswith(token.prefix)
    from rest_framework.test import APIClient

    app = APIClient(HTTP_AUTHORIZATION=f"Token {secret}")
    listed = app.get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in listed] == ["手机"] and "secret" not in listed[0]
    assert app.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    revoked = app.get("/api/v1/auth/tokens/")
    assert (revoked.status_code, revoked.json()["code"]) == (401, "authentication_failed")


def test_token_refusals(world, api):
    wrong = api().post(
        "/api/v1/auth/tokens/", {"name": "x", "login": "13812341234", "password": "nope"}, format="json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "authentication_failed")
    half = api().post("/api/v1/auth/tokens/", {"name": "x", "login": "13812341234"}, format="json")
    assert (half.status_code, list(half.json()["fields"])) == (400, ["non_field_errors"])
    anonymous = api().post("/api/v1/auth/tokens/", {"name": "x"}, format="json")
    assert anonymous.status_code == 401
    by_session = api(world.owner).post("/api/v1/auth/tokens/", {"name": "tablet"}, format="json")
    assert by_session.status_code == 201


def test_sign_in_is_throttled(world, api):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "sign_in": "2/min"}
    try:
        statuses = [
            api()
            .post(
                "/api/v1/auth/tokens/",
                {"name": "x", "login": "13812341234", "password": "nope"},
                format="json",
            )
            .status_code
            for _ in range(3)
        ]
        assert statuses == [401, 401, 429]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_session_writes_need_csrf(world):
    """The browser's session authentication enforces CSRF; a token-less POST without it is refused."""
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(world.owner, backend="accounts.backends.PhoneOrEmailBackend")
    refused = browser.post("/api/v1/orders/", {"category": world.leaf.pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_accepted_order_shows_staff_in_timeline(world, api):
    owned = owned_by(world)
    order_accept(order=owned.order, actor=world.staff)
    body = api(world.owner).get(f"/api/v1/orders/{owned.order.pk}/").json()
    assert body["status"] == OrderStatus.ACCEPTED
    assert body["timeline"][1]["actor"] == f"community staff {world.staff.name}"


def test_malformed_ids_answer_the_json_404(world, api):
    """An id segment that is not a number answers the API's error shape, never an HTML page or a 500."""
    client = api(world.owner)
    for method, path in [
        ("get", "/api/v1/orders/-0.5/"),  # no route matches: handler404
        ("post", "/api/v1/orders/0.5/cancel/"),
        ("get", "/api/v1/no-such-endpoint/"),
        ("get", "/api/v1/orders/abc/"),  # the route matches, the lookup does not
        ("delete", "/api/v1/auth/tokens/abc/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json", (method, path)
        assert response.json()["code"] == "not_found", (method, path)
    for path in ["/api/v1/staff/proposed-classes/abc/confirm/", "/api/v1/staff/orders/0.5/accept/"]:
        response = api(world.staff).post(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert response.json()["code"] == "not_found", path


def test_groups_near_me_mine_first_then_my_street_with_distances(world, api):
    from tests.factories import (
        CategoryFactory,
        CommunityFactory,
        GroupMembershipFactory,
        InterestGroupFactory,
    )

    sibling = CommunityFactory(street=world.home.street, latitude=29.66, longitude=106.55)
    other_leaf = CategoryFactory(name="八段锦", parent=world.field)
    mine = InterestGroupFactory(name="Z 太极", category=world.leaf, community=world.home)
    nearby = InterestGroupFactory(name="A 八段锦", category=other_leaf, community=sibling)
    InterestGroupFactory(category=world.leaf, community=world.elsewhere)  # another street
    InterestGroupFactory(category=world.leaf, community=world.home, is_active=False)
    GroupMembershipFactory(group=mine, user=world.owner)
    client = api(world.owner)
    rows = client.get("/api/v1/groups/nearby/").json()["results"]
    assert [(r["id"], r["is_member"], r["member_count"]) for r in rows] == [
        (mine.pk, True, 1),
        (nearby.pk, False, 0),
    ]
    assert rows[0]["distance_km"] == 0.0
    assert 1.0 < rows[1]["distance_km"] < 1.2  # 0.01° of latitude
    by_leaf = client.get("/api/v1/groups/nearby/", {"category": world.leaf.pk}).json()["results"]
    by_field = client.get("/api/v1/groups/nearby/", {"category": world.field.pk}).json()["results"]
    by_community = client.get("/api/v1/groups/nearby/", {"community": sibling.pk}).json()["results"]
    assert ([r["id"] for r in by_leaf], len(by_field), [r["id"] for r in by_community]) == (
        [mine.pk],
        2,
        [nearby.pk],
    )
    bad = client.get("/api/v1/groups/nearby/", {"category": "tai chi"})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["category"])


def test_groups_near_me_need_a_home_community(world, api):
    answer = api(world.staff).get("/api/v1/groups/nearby/")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_a_class_without_a_weekly_slot_answers_nulls(world, api):
    # Found by schemathesis: the schema said integer and time, the answer was null.
    course = CourseFactory(category=world.leaf, community=world.home, slot=None)
    body = api(world.owner).get(f"/api/v1/courses/{course.pk}/").json()
    assert (body["weekday"], body["start"], body["end"]) == (None, None, None)


def test_register_answers_what_my_registrations_list_says(world, api):
    # The answer is built from the written row (no re-read); it must equal the list's row, queue place included.
    courses = [
        CourseFactory(category=world.leaf, community=world.home, capacity=1, slot=WeeklySlotFactory()) for _ in range(2)
    ]
    for course in courses:
        SessionFactory(course=course)
    third = ResidentFactory(profile__community=world.home)
    answers = [api(user).post(f"/api/v1/courses/{courses[0].pk}/register/").json() for user in (world.neighbour, world.owner, third)]
    other = api(third).post(f"/api/v1/courses/{courses[1].pk}/register/").json()
    assert [(a["status"], a["waiting_position"]) for a in answers] == [("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert (other["status"], other["waiting_position"]) == ("confirmed", None)
    for user, answer in zip((world.neighbour, world.owner, third), answers, strict=True):
        listed = api(user).get("/api/v1/registrations/").json()["results"]
        assert answer in listed
