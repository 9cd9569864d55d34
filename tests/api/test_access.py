"""The access matrix: every endpoint × anonymous / the owner / another resident / staff of another community /
the district office. Expected statuses, and no leaked field: the owner's mobile number never appears
unmasked, and nobody but the owner sees the owner's things."""

from __future__ import annotations

import pytest

from tests.shared_rows import fresh, rolled_back_at_the_end

from .objects import owned_by, proposal_of

ANON, OWNER, NEIGHBOUR, OTHER_STAFF, DISTRICT = (
    "anonymous",
    "owner",
    "neighbour",
    "other_staff",
    "district_office",
)
ACTORS = (ANON, OWNER, NEIGHBOUR, OTHER_STAFF, DISTRICT)


def _row(method, url, anon, owner, neighbour, other_staff, district, body=None):
    return (
        method,
        url,
        body,
        dict(zip(ACTORS, (anon, owner, neighbour, other_staff, district), strict=True)),
    )


# URLs name the owner's objects with {order}, {registration}, … ; resident endpoints are scoped to the caller,
# so anyone else's id is a 404; staff endpoints need a scope (403 for residents), and another community's
# object is a 404; the district office reads everything and changes nothing (403 from the services).
MATRIX = [
    _row("get", "/api/v1/me/profile/", 401, 200, 200, 404, 404),
    _row("get", "/api/v1/categories/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/categories/search/?q=taiji", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/courses/nearby/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/courses/{course}/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/orders/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/orders/{order}/", 401, 200, 404, 404, 404),
    _row("post", "/api/v1/orders/{order}/cancel/", 401, 200, 404, 404, 404, {}),
    _row("get", "/api/v1/registrations/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/registrations/{registration}/", 401, 200, 404, 404, 404),
    _row("post", "/api/v1/registrations/{registration}/cancel/", 401, 204, 404, 404, 404),
    _row("get", "/api/v1/me/sessions/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/me/calendar/", 401, 200, 200, 404, 404),
    _row("get", "/api/v1/ratings/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/ratings/{rating}/", 401, 200, 404, 404, 404),
    _row("get", "/api/v1/ratings/awaiting/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/notices/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/notices/{notice}/", 401, 200, 404, 404, 404),
    _row("post", "/api/v1/notices/{notice}/read/", 401, 200, 404, 404, 404),
    _row("get", "/api/v1/notices/unread-count/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/auth/tokens/", 401, 200, 200, 200, 200),
    _row("delete", "/api/v1/auth/tokens/{token}/", 401, 204, 404, 404, 404),
    # Certificates, reconfirmation of places, volunteer hours (issues 14 and 16).
    _row("get", "/api/v1/me/certificates/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/me/certificates/{certificate}/", 401, 200, 404, 404, 404),
    _row("get", "/api/v1/me/certificates/{certificate}/pdf/", 401, 200, 404, 404, 404),
    _row("get", "/api/v1/me/reconfirmations/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/me/reconfirmations/{reconfirmation}/", 401, 200, 404, 404, 404),
    _row("post", "/api/v1/me/reconfirmations/{reconfirmation}/confirm/", 401, 200, 404, 404, 404),
    _row("get", "/api/v1/me/volunteer-hours/", 401, 200, 404, 404, 404),
    _row("post", "/api/v1/me/volunteer-hours/certificate/", 401, 409, 404, 404, 404),
    _row("get", "/api/v1/staff/volunteer-shifts/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/volunteer-shifts/{shift}/", 401, 403, 403, 404, 200),
    _row("post", "/api/v1/staff/volunteer-shifts/{shift}/confirm/", 401, 403, 403, 404, 403),
    _row("get", "/api/v1/staff/orders/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/orders/{order}/", 401, 403, 403, 404, 200),
    _row("post", "/api/v1/staff/orders/{order}/accept/", 401, 403, 403, 404, 403, {}),
    _row("post", "/api/v1/staff/orders/{order}/reject/", 401, 403, 403, 404, 403, {"reason": "No teacher"}),
    _row("get", "/api/v1/staff/venues/occupancy/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/teachers/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/teachers/{teacher}/", 401, 403, 403, 404, 200),
    _row("get", "/api/v1/staff/match-runs/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/proposed-classes/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/district/dashboards/overview/", 401, 403, 403, 200, 200),
    # Sign-in by SMS code: the same answer whoever asks and whatever the number (no enumeration).
    _row("post", "/api/v1/auth/codes/", 202, 202, 202, 202, 202, {"phone": "13812341234"}),
    _row("post", "/api/v1/auth/codes/", 202, 202, 202, 202, 202, {"phone": "13999999999"}),
    _row(
        "post",
        "/api/v1/auth/tokens/sms/",
        *(401,) * 5,
        {"phone": "13812341234", "code": "123456"},
    ),
    # Groups near me need a home community: staff without a profile have no "near me".
    _row("get", "/api/v1/groups/nearby/", 401, 200, 200, 404, 404),
    _row("get", "/api/v1/groups/nearby/?category={leaf}&community={home}", 401, 200, 200, 404, 404),
    # Another community's node "does not exist" (400 on its field); the district office changes nothing.
    _row(
        "post", "/api/v1/staff/match-runs/", 401, 403, 403, 400, 403, {"scope": "community", "node": "{home}"}
    ),
    _row("post", "/api/v1/staff/match-runs/{run}/discard/", 401, 403, 403, 404, 403, {}),
    _row("post", "/api/v1/staff/proposed-classes/{proposed}/discard/", 401, 403, 403, 404, 403, {}),
    _row(
        "post",
        "/api/v1/staff/proposed-classes/{proposed}/teacher-answer/",
        401,
        403,
        403,
        404,
        403,
        {"accept": True},
    ),
    _row(
        "post",
        "/api/v1/staff/proposed-classes/{proposed}/venue-answer/",
        401,
        403,
        403,
        404,
        403,
        {"accept": False, "reason": "Closed for repairs"},
    ),
    _row("get", "/api/v1/staff/venues/occupancy/?week=2026-11-30", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/district/colleges/{college}/stars/", 401, 403, 403, 404, 200),
    _row("get", "/api/v1/district/colleges/{college}/stars.xlsx", 401, 403, 403, 404, 200),
    _row("get", "/api/v1/district/dashboards/overview.xlsx", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/district/dashboards/stars.xlsx?table=colleges", 401, 403, 403, 200, 200),
    # The teacher's and the venue owner's API: nobody here holds either role (tests/teaching/test_api.py has
    # two teachers and two owners); a resident checking in with a forged code is refused in the error shape.
    _row("get", "/api/v1/teacher/sessions/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/teacher/sessions/{session}/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/teacher/sessions/{session}/roster/", 401, 403, 403, 403, 403),
    _row("post", "/api/v1/teacher/sessions/{session}/roster/", 401, 403, 403, 403, 403, {"walk_ins": [1]}),
    _row("get", "/api/v1/teacher/sessions/{session}/checkin-code/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/teacher/proposed-classes/", 401, 403, 403, 403, 403),
    _row(
        "post", "/api/v1/teacher/proposed-classes/{proposed}/answer/", 401, 403, 403, 403, 403, {"accept": True}
    ),
    _row("get", "/api/v1/teacher/profile/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/teacher/ratings/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/teacher/hours/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/owner/venues/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/owner/venues/{venue}/week/", 401, 403, 403, 403, 403),
    _row("get", "/api/v1/owner/bookings/", 401, 403, 403, 403, 403),
    _row("post", "/api/v1/owner/bookings/{session}/confirm/", 401, 403, 403, 403, 403, {}),
    _row("post", "/api/v1/owner/bookings/{session}/decline/", 401, 403, 403, 403, 403, {"reason": "装修"}),
    _row("post", "/api/v1/me/check-in/", 401, 409, 409, 409, 409, {"code": "1-2-forgedforgedforgedforged"}),
    # Showcases (兴趣展示): anyone signed in sees approved ones and may take a seat; photos and stories of a
    # scope for its staff only; the district office reads and moderates nothing.
    _row("get", "/api/v1/showcases/nearby/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/showcases/{showcase}/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/showcases/{showcase}/photos/", 401, 200, 200, 200, 200),
    _row("post", "/api/v1/showcases/{showcase}/register/", 401, 201, 201, 201, 201, {}),
    _row("get", "/api/v1/me/showcases/", 401, 200, 200, 200, 200),
    # Only the group's leader proposes (the district office and other staff change nothing of it).
    _row(
        "post", "/api/v1/me/showcases/", 401, 201, 403, 403, 403,
        {
            "group": "{group}", "venue": "{venue}", "title": "汇报演出", "kind": "performance",
            "starts_at": "2099-05-01T10:00:00+08:00", "ends_at": "2099-05-01T12:00:00+08:00",
            "capacity": 20, "programme": "合唱", "participants": "小组成员",
        },
    ),
    _row("get", "/api/v1/stories/", 401, 200, 200, 200, 200),
    _row("get", "/api/v1/staff/showcase-media/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/showcase-media/{media}/", 401, 403, 403, 404, 200),
    _row("post", "/api/v1/staff/showcase-media/{media}/moderate/", 401, 403, 403, 404, 403, {"approve": True}),
    _row("get", "/api/v1/staff/stories/", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/staff/showcases.xlsx", 401, 403, 403, 200, 200),
    _row("get", "/api/v1/district/dashboards/showcases.xlsx", 401, 403, 403, 200, 200),
]


@pytest.fixture(scope="module")
def _owned_rows(_world_rows, django_db_blocker):
    with rolled_back_at_the_end(django_db_blocker):
        yield owned_by(_world_rows)


@pytest.fixture
def owned(world, _owned_rows):
    """The owner's things, made once for the module's hundreds of requests (tests/shared_rows.py)."""
    return fresh(_owned_rows)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "url", "body", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _b, _e in MATRIX]
)
def test_access_matrix(world, owned, api, actor, method, url, body, expected):
    user = {
        ANON: None,
        OWNER: world.owner,
        NEIGHBOUR: world.neighbour,
        OTHER_STAFF: world.other_staff,
        DISTRICT: world.district_office,
    }[actor]
    run = proposed = None
    if "{run}" in url or "{proposed}" in url:
        run, proposed = proposal_of(world, owned)
    fill = {
        "home": world.home.pk,
        "leaf": world.leaf.pk,
        "run": getattr(run, "pk", 0),
        "proposed": getattr(proposed, "pk", 0),
        "college": owned.college.pk,
        "session": owned.session.pk,
        "venue": owned.venue.pk,
        "group": owned.group.pk,
    }
    if body is not None:
        body = {
            k: (int(v.format(**fill)) if isinstance(v, str) and v.startswith("{") else v)
            for k, v in body.items()
        }
    path = url.format(
        **fill,
        order=owned.order.pk,
        registration=owned.registration.pk,
        notice=owned.notice.pk,
        rating=owned.rating.pk,
        token=owned.token.pk,
        course=owned.course.pk,
        teacher=owned.teacher.pk,
        certificate=owned.certificate.pk,
        reconfirmation=owned.reconfirmation.pk,
        shift=owned.shift.pk,
        showcase=owned.showcase.pk,
        media=owned.media.pk,
    )
    response = (
        getattr(api(user), method)(path, body, format="json")
        if body is not None
        else getattr(api(user), method)(path)
    )
    assert response.status_code == expected[actor], response.content[:300]
    text = response.content.decode(errors="replace")  # workbooks are binary
    # Masked exactly as in the admin, whoever reads it.
    assert "13812341234" not in text
    assert "13700002222" not in text
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "detail"}
    if actor != OWNER and response.status_code == 200 and "/staff/" not in path and "/district/" not in path:
        # Nobody else's list shows the owner's order, registration, notice or rating.
        assert f'"title":"{owned.notice.title}"' not in text
        assert owned.rating.comment not in text or "/courses/" in path
        assert f'"id":{owned.order.pk},"category"' not in text


def test_staff_of_another_community_sees_none_of_the_owners_orders(world, owned, api):
    body = api(world.other_staff).get("/api/v1/staff/orders/").json()
    assert body["count"] == 0
    body = api(world.staff).get("/api/v1/staff/orders/").json()
    assert [row["id"] for row in body["results"]] == [owned.order.pk]
    assert body["results"][0]["resident_phone"] == "138****1234"
