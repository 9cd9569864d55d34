"""The teacher's and the venue owner's API: scoped to the caller's own sessions, proposals, venues and bookings
(two of each; the others untouched), bad input refused in the error shape with nothing saved, translated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities.checkin import checkin_code
from activities.dispatch.enums import Consent, ProposedClassStatus
from activities.models import Attendance, MatchRun, ProposedClass
from tests.factories import SessionFactory, TermFactory, WeeklySlotFactory
from tests.factories.pairs import snapshot
from venues.enums import BookingStatus
from venues.models import Booking
from venues.services import booking_create

pytestmark = pytest.mark.django_db


def _api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def _proposal(teaching, teacher, community):
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=community, term=term)
    return ProposedClass.objects.create(
        run=run,
        category=teaching.course_a.category,
        teacher=teacher,
        venue=teaching.venue_a,
        slot=WeeklySlotFactory(),
        term=term,
        community=community,
        size=2,
    )


@pytest.fixture
def bookings(teaching):
    end = teaching.start + timedelta(hours=1)
    a = booking_create(
        venue=teaching.venue_a, starts_at=teaching.start, ends_at=end, session=teaching.session_a
    )
    b = booking_create(
        venue=teaching.venue_b, starts_at=teaching.start, ends_at=end, session=teaching.session_b
    )
    return a, b


def _week(teaching):
    return timezone.localdate(teaching.start).isoformat()


def test_a_teacher_lists_and_reads_only_their_sessions(teaching):
    api = _api(teaching.teacher_a.user)
    body = api.get("/api/v1/teacher/sessions/", {"week": _week(teaching)}).json()
    assert [row["id"] for row in body["results"]] == [teaching.session_a.pk]
    assert body["results"][0]["places_taken"] == 1 and body["results"][0]["checked_in"] == 0
    for path in ("", "roster/", "checkin-code/"):
        assert api.get(f"/api/v1/teacher/sessions/{teaching.session_b.pk}/{path}").status_code == 404
    roster = api.get(f"/api/v1/teacher/sessions/{teaching.session_a.pk}/roster/").json()
    assert roster == {
        "session": teaching.session_a.pk,
        "waiting_list": 0,
        "roster": [
            {
                "resident": teaching.alice.pk,
                "name": teaching.alice.name,
                "phone": "138****0001",
                "status": None,
                "walk_in": False,
            }
        ],
    }


@pytest.mark.parametrize("count", [1, 3])
def test_the_week_list_takes_constant_queries(teaching, django_assert_num_queries, count):
    for i in range(count - 1):
        SessionFactory(course=teaching.course_a, starts_at=teaching.start + timedelta(hours=2 + 2 * i))
    api = _api(teaching.teacher_a.user)
    # Queries: the teacher (role and row), the page's count, the page of sessions with their annotations.
    with django_assert_num_queries(3):
        response = api.get("/api/v1/teacher/sessions/", {"week": _week(teaching)})
    assert response.json()["count"] == count


def test_ticking_another_teachers_roster_is_404_and_saves_nothing(teaching):
    body = {"marks": [{"resident": teaching.bob.pk, "status": "present"}]}
    response = _api(teaching.teacher_a.user).post(
        f"/api/v1/teacher/sessions/{teaching.session_b.pk}/roster/", body, format="json"
    )
    assert response.status_code == 404
    assert set(response.json()) >= {"code", "detail"}
    assert not Attendance.objects.exists()


def test_the_teacher_ticks_a_name_once_the_meeting_has_started(teaching):
    teaching.session_a.starts_at = timezone.now() - timedelta(minutes=5)
    teaching.session_a.save(update_fields=["starts_at"])
    body = {"marks": [{"resident": teaching.alice.pk, "status": "present"}]}
    response = _api(teaching.teacher_a.user).post(
        f"/api/v1/teacher/sessions/{teaching.session_a.pk}/roster/", body, format="json"
    )
    assert response.status_code == 200
    assert response.json()["roster"][0]["status"] == "present"


def test_the_code_endpoint_refuses_outside_the_window_and_the_code_checks_in(teaching):
    api = _api(teaching.teacher_a.user)
    response = api.get(f"/api/v1/teacher/sessions/{teaching.session_a.pk}/checkin-code/")
    assert (response.status_code, response.json()["code"]) == (409, "checkin_not_open")
    teaching.session_a.starts_at = timezone.now() + timedelta(minutes=20)
    teaching.session_a.ends_at = teaching.session_a.starts_at + timedelta(hours=1)
    teaching.session_a.save()
    made = api.get(f"/api/v1/teacher/sessions/{teaching.session_a.pk}/checkin-code/").json()
    assert made["svg"].startswith("<svg") and made["url"].endswith(f"/checkin/{made['code']}/")
    # The app's scanner posts the link as it read it.
    response = _api(teaching.alice).post("/api/v1/me/check-in/", {"code": made["url"]}, format="json")
    assert response.status_code == 201
    assert response.json()["session"] == teaching.session_a.pk and response.json()["walked_in"] is False
    assert Attendance.objects.filter(resident=teaching.alice, session=teaching.session_a).count() == 1


def test_a_check_in_for_a_long_past_session_is_refused_translated(teaching):
    past = timezone.now() - timedelta(days=3)
    old = SessionFactory(course=teaching.course_a, starts_at=past, ends_at=past + timedelta(hours=1))
    code = checkin_code(session=old, now=past).code
    response = _api(teaching.alice).post("/api/v1/me/check-in/", {"code": code}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "stale_code")
    zh = _api(teaching.alice, language="zh-hans").post(
        "/api/v1/me/check-in/", {"code": "1-2-forgedforgedforgedforged"}, format="json"
    )
    assert zh.status_code == 409 and zh.json()["code"] == "bad_code"
    assert not Attendance.objects.exists()


def test_the_teacher_answers_only_their_proposals_and_declines_only_with_a_reason(teaching):
    mine = _proposal(teaching, teaching.teacher_a, teaching.pair.a)
    theirs = _proposal(teaching, teaching.teacher_b, teaching.pair.a)
    api = _api(teaching.teacher_a.user)
    assert [row["id"] for row in api.get("/api/v1/teacher/proposed-classes/").json()["results"]] == [mine.pk]
    response = api.post(
        f"/api/v1/teacher/proposed-classes/{mine.pk}/answer/",
        {"accept": False, "reason": "  "},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "reason" in response.json()["fields"]
    assert (
        api.post(
            f"/api/v1/teacher/proposed-classes/{theirs.pk}/answer/", {"accept": True}, format="json"
        ).status_code
        == 404
    )
    response = api.post(
        f"/api/v1/teacher/proposed-classes/{mine.pk}/answer/", {"accept": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["teacher_consent"] == "accepted"
    theirs.refresh_from_db()
    assert (theirs.status, theirs.teacher_consent) == (ProposedClassStatus.PROPOSED, Consent.PENDING)


def test_the_teacher_replaces_free_times_and_bad_ones_save_nothing(teaching):
    api = _api(teaching.teacher_a.user)
    overlap = {
        "max_weekly_sessions": 4,
        "free_times": [
            {"weekday": 0, "start": "09:00", "end": "11:00"},
            {"weekday": 0, "start": "10:30", "end": "12:00"},
        ],
    }
    assert api.put("/api/v1/teacher/profile/", overlap, format="json").status_code == 400
    assert (
        api.put(
            "/api/v1/teacher/profile/", {"max_weekly_sessions": 0, "free_times": []}, format="json"
        ).status_code
        == 400
    )
    teaching.teacher_a.refresh_from_db()
    assert (teaching.teacher_a.max_weekly_sessions, teaching.teacher_a.availability.count()) == (3, 0)
    good = {"max_weekly_sessions": 4, "free_times": [{"weekday": 2, "start": "14:00", "end": "16:00"}]}
    response = api.put("/api/v1/teacher/profile/", good, format="json")
    assert response.json() == {
        "max_weekly_sessions": 4,
        "free_times": [{"weekday": 2, "start": "14:00:00", "end": "16:00:00"}],
    }
    assert teaching.teacher_b.availability.count() == 0


def test_ratings_and_hours_are_the_callers(teaching):
    past = timezone.now() - timedelta(days=2)
    SessionFactory(course=teaching.course_b, starts_at=past, ends_at=past + timedelta(hours=2))
    assert _api(teaching.teacher_a.user).get("/api/v1/teacher/hours/").json() == {
        "sessions": 0,
        "hours": 0.0,
        "by_term": [],
    }
    assert _api(teaching.teacher_b.user).get("/api/v1/teacher/hours/").json()["hours"] == 2.0
    assert _api(teaching.teacher_a.user).get("/api/v1/teacher/ratings/").json() == {
        "mean": None,
        "count": 0,
        "comments": [],
    }


@pytest.mark.parametrize("who", ["alice", "owner_a", "staff_a"])
def test_the_teacher_api_refuses_other_roles(teaching, who):
    user = teaching.pair.staff_a if who == "staff_a" else getattr(teaching, who)
    response = _api(user).get("/api/v1/teacher/sessions/")
    assert response.status_code == 403 and set(response.json()) >= {"code", "detail"}


# --- owners ------------------------------------------------------------------------------------------------


def test_an_owner_sees_and_answers_only_their_venues_bookings(teaching, bookings):
    a, b = bookings
    api = _api(teaching.owner_a)
    assert [row["id"] for row in api.get("/api/v1/owner/venues/").json()["results"]] == [teaching.venue_a.pk]
    rows = api.get("/api/v1/owner/bookings/").json()["results"]
    assert [(row["id"], row["course"], row["teacher"]) for row in rows] == [
        (a.pk, teaching.course_a.title, teaching.teacher_a.name)
    ]
    assert api.post(f"/api/v1/owner/bookings/{b.pk}/confirm/").status_code == 404
    assert (
        api.post(f"/api/v1/owner/bookings/{b.pk}/decline/", {"reason": "x"}, format="json").status_code == 404
    )
    assert api.get(f"/api/v1/owner/venues/{teaching.venue_b.pk}/week/").status_code == 404
    before = snapshot(Booking.objects.all(), "status", "decline_reason")
    response = api.post(f"/api/v1/owner/bookings/{a.pk}/decline/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    assert snapshot(Booking.objects.all(), "status", "decline_reason") == before
    response = api.post(f"/api/v1/owner/bookings/{a.pk}/confirm/")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    # Answered once: a second answer is a conflict.
    assert (
        api.post(f"/api/v1/owner/bookings/{a.pk}/decline/", {"reason": "x"}, format="json").status_code == 409
    )
    b.refresh_from_db()
    assert b.status == BookingStatus.PENDING
    week = api.get(f"/api/v1/owner/venues/{teaching.venue_a.pk}/week/", {"week": _week(teaching)}).json()
    assert [row["id"] for row in week["results"]] == [a.pk]


def test_the_other_owner_declines_theirs(teaching, bookings):
    a, b = bookings
    response = _api(teaching.owner_b).post(
        f"/api/v1/owner/bookings/{b.pk}/decline/", {"reason": "停电检修"}, format="json"
    )
    assert response.status_code == 200 and response.json()["decline_reason"] == "停电检修"
    a.refresh_from_db()
    assert a.status == BookingStatus.PENDING


@pytest.mark.parametrize("who", ["alice", "teacher", "staff_a"])
def test_the_owner_api_refuses_other_roles(teaching, who):
    user = {"alice": teaching.alice, "teacher": teaching.teacher_a.user, "staff_a": teaching.pair.staff_a}[
        who
    ]
    assert _api(user).get("/api/v1/owner/bookings/").status_code == 403


def test_options_describes_the_profile_without_an_id_in_the_url(teaching):
    response = _api(teaching.teacher_a.user).options("/api/v1/teacher/profile/")
    assert response.status_code == 200
    assert set(response.json()["actions"]["PUT"]) == {"max_weekly_sessions", "free_times"}
