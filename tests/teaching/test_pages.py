"""The teacher's and the venue owner's pages: each sees only their own; wrong role 403, another's row 404,
bad input 400 with nothing saved; the resident's check-in link, signed in or after signing in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.checkin import checkin_code
from activities.dispatch.enums import Consent, ProposedClassStatus
from activities.models import Attendance, MatchRun, ProposedClass
from teachers.models import TeacherAvailability
from tests.factories import ResidentFactory, StaffFactory, TermFactory, WeeklySlotFactory
from tests.factories.pairs import snapshot
from venues.enums import BookingStatus
from venues.models import Booking
from venues.services import booking_create

pytestmark = pytest.mark.django_db


def _signed_in(client, user, language="en"):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def test_home_links_the_teacher_and_the_owner_to_their_pages(client, teaching):
    body = _signed_in(client, teaching.teacher_a.user).get("/").content.decode()
    assert reverse("teachers:teach_week") in body and reverse("venues:owner_home") not in body
    body = _signed_in(client, teaching.owner_a).get("/").content.decode()
    assert reverse("venues:owner_home") in body and reverse("teachers:teach_week") not in body
    body = _signed_in(client, teaching.alice).get("/").content.decode()
    assert reverse("venues:owner_home") not in body and reverse("teachers:teach_week") not in body


def test_my_week_lists_my_classes_only(client, teaching):
    response = _signed_in(client, teaching.teacher_a.user).get(
        reverse("teachers:teach_week"), {"week": timezone.localdate(teaching.start).isoformat()}
    )
    assert response.status_code == 200
    assert [s.pk for s in response.context["sessions"]] == [teaching.session_a.pk]
    assert teaching.course_b.title not in response.content.decode()


@pytest.mark.parametrize(
    "name", ["teach_week", "teach_term", "teach_proposals", "teach_profile", "teach_ratings", "teach_hours"]
)
def test_teacher_pages_refuse_other_roles(client, teaching, name):
    assert _signed_in(client, teaching.alice).get(reverse(f"teachers:{name}")).status_code == 403
    assert _signed_in(client, teaching.pair.staff_a).get(reverse(f"teachers:{name}")).status_code == 403
    client.logout()
    assert client.get(reverse(f"teachers:{name}")).status_code == 302


def test_a_teacher_without_the_role_is_refused(client, teaching):
    teaching.teacher_a.user.roles.all().delete()
    assert _signed_in(client, teaching.teacher_a.user).get(reverse("teachers:teach_week")).status_code == 403


def test_the_roster_shows_masked_phones_waiting_list_and_check_ins(client, teaching):
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    from activities.checkin import attendance_check_in

    attendance_check_in(code=code, resident=teaching.alice, now=teaching.start)
    response = _signed_in(client, teaching.teacher_a.user).get(
        reverse("teachers:teach_roster", args=[teaching.session_a.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "138****0001" in body and "13812340001" not in body
    assert [(line.resident.pk, line.status) for line in response.context["roster"]] == [
        (teaching.alice.pk, "present")
    ]
    assert response.context["waiting"] == 0


@pytest.mark.parametrize("name", ["teach_roster", "teach_qr", "teach_qr_code"])
def test_another_teachers_session_does_not_exist(client, teaching, name):
    response = _signed_in(client, teaching.teacher_a.user).get(
        reverse(f"teachers:{name}", args=[teaching.session_b.pk])
    )
    assert response.status_code == 404


def test_the_teacher_ticks_a_name_and_bad_ticks_save_nothing(client, teaching):
    teaching.session_a.starts_at = timezone.now() - timedelta(minutes=5)
    teaching.session_a.ends_at = timezone.now() + timedelta(minutes=55)
    teaching.session_a.save()
    url = reverse("teachers:teach_roster", args=[teaching.session_a.pk])
    c = _signed_in(client, teaching.teacher_a.user)
    assert c.post(url, {"resident": teaching.alice.pk, "status": "present"}).status_code == 302
    # Someone not on this roster (Bob is in b's class), or a made-up status: 400, nothing saved.
    assert c.post(url, {"resident": teaching.bob.pk, "status": "present"}).status_code == 400
    assert c.post(url, {"resident": teaching.alice.pk, "status": "asleep"}).status_code == 400
    assert list(Attendance.objects.values_list("resident_id", "attended", "recorded_by_id")) == [
        (teaching.alice.pk, True, teaching.teacher_a.user.pk)
    ]


def test_the_qr_screen_shows_a_code_that_checks_in_and_refreshes_as_json(client, teaching):
    teaching.session_a.starts_at = timezone.now() + timedelta(minutes=10)
    teaching.session_a.ends_at = teaching.session_a.starts_at + timedelta(hours=1)
    teaching.session_a.save()
    c = _signed_in(client, teaching.teacher_a.user)
    page = c.get(reverse("teachers:teach_qr", args=[teaching.session_a.pk]))
    assert page.status_code == 200
    assert "<svg" in page.content.decode() and "<script>" not in page.content.decode()
    data = c.get(reverse("teachers:teach_qr_code", args=[teaching.session_a.pk])).json()
    assert data["svg"].startswith("<svg") and data["present"] == 0 and 1 <= data["refresh_in"] <= 61
    path = data["url"].removeprefix("http://testserver")
    response = _signed_in(client, teaching.alice).get(path)
    assert response.status_code == 200
    assert Attendance.objects.filter(
        session=teaching.session_a, resident=teaching.alice, attended=True
    ).exists()


def test_the_qr_screen_outside_the_window_says_when_it_opens(client, teaching):
    page = _signed_in(client, teaching.teacher_a.user).get(
        reverse("teachers:teach_qr", args=[teaching.session_a.pk])
    )
    assert page.status_code == 200 and "<svg" not in page.content.decode()
    assert "Check-in for this meeting opens at" in page.content.decode()


def test_an_anonymous_scan_signs_in_and_comes_back_checked_in(client, teaching):
    teaching.session_a.starts_at = timezone.now() + timedelta(minutes=10)
    teaching.session_a.ends_at = teaching.session_a.starts_at + timedelta(hours=1)
    teaching.session_a.save()
    code = checkin_code(session=teaching.session_a).code
    response = client.get(reverse("teachers:checkin", args=[code]))
    assert response.status_code == 302 and "next=/checkin/resume/" in response["Location"]
    assert not Attendance.objects.exists()
    client.force_login(teaching.alice, backend="accounts.backends.PhoneOrEmailBackend")
    assert client.get(reverse("teachers:checkin_resume")).status_code == 200
    assert Attendance.objects.filter(session=teaching.session_a, resident=teaching.alice).count() == 1
    # The scan is used once: coming back again asks for a new scan.
    assert client.get(reverse("teachers:checkin_resume")).status_code == 409


def test_a_stale_link_is_refused_with_a_message_and_nothing_saved(client, teaching):
    code = checkin_code(
        session=teaching.session_a, now=teaching.start
    ).code  # tomorrow's code, made "now+1 day"
    response = _signed_in(client, teaching.alice).get(reverse("teachers:checkin", args=[code]))
    assert response.status_code == 409
    assert "This check-in code has expired" in response.content.decode()
    assert not Attendance.objects.exists()


def _proposal(teaching, teacher):
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=teaching.pair.a, term=term)
    return ProposedClass.objects.create(
        run=run,
        category=teaching.course_a.category,
        teacher=teacher,
        venue=teaching.venue_a,
        slot=WeeklySlotFactory(),
        term=term,
        community=teaching.pair.a,
        size=1,
    )


def test_the_teacher_accepts_a_proposal_and_declines_only_with_a_reason(client, teaching):
    mine, theirs = _proposal(teaching, teaching.teacher_a), _proposal(teaching, teaching.teacher_b)
    c = _signed_in(client, teaching.teacher_a.user)
    url = reverse("teachers:teach_proposal_answer", args=[mine.pk])
    assert c.post(url, {"answer": "decline", "reason": " "}).status_code == 400
    mine.refresh_from_db()
    assert (mine.status, mine.teacher_consent) == (ProposedClassStatus.PROPOSED, Consent.PENDING)
    # Another teacher's proposal does not exist for me.
    assert (
        c.post(reverse("teachers:teach_proposal_answer", args=[theirs.pk]), {"answer": "accept"}).status_code
        == 404
    )
    assert c.post(url, {"answer": "decline", "reason": "I am away that month"}).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.teacher_consent, mine.note, mine.decided_by) == (
        ProposedClassStatus.DECLINED,
        Consent.DECLINED,
        "I am away that month",
        teaching.teacher_a.user,
    )
    assert (theirs.status, theirs.teacher_consent) == (ProposedClassStatus.PROPOSED, Consent.PENDING)


def test_staff_still_record_a_teachers_answer(teaching):
    from activities.dispatch.service import proposed_class_teacher_answer

    pc = _proposal(teaching, teaching.teacher_a)
    proposed_class_teacher_answer(proposed=pc, accept=False, actor=teaching.pair.staff_a)
    pc.refresh_from_db()
    assert (pc.status, pc.decided_by) == (ProposedClassStatus.DECLINED, teaching.pair.staff_a)


def test_free_times_are_replaced_whole_and_overlaps_save_nothing(client, teaching):
    TeacherAvailability.objects.create(teacher=teaching.teacher_b, weekday=1, start="09:00", end="11:00")
    c = _signed_in(client, teaching.teacher_a.user)
    form = {
        "free-TOTAL_FORMS": "2",
        "free-INITIAL_FORMS": "0",
        "free-MIN_NUM_FORMS": "0",
        "free-MAX_NUM_FORMS": "21",
        "free-0-weekday": "0",
        "free-0-start": "09:00",
        "free-0-end": "11:00",
        "free-1-weekday": "0",
        "free-1-start": "10:00",
        "free-1-end": "12:00",
        "max_weekly_sessions": "5",
    }
    assert c.post(reverse("teachers:teach_profile"), form).status_code == 400
    assert not teaching.teacher_a.availability.exists()
    form.update({"free-1-weekday": "2"})
    assert c.post(reverse("teachers:teach_profile"), form).status_code == 302
    teaching.teacher_a.refresh_from_db()
    assert sorted(teaching.teacher_a.availability.values_list("weekday", "start", "end")) == [
        (0, *map(__import__("datetime").time, (9, 11))),
        (2, __import__("datetime").time(10), __import__("datetime").time(12)),
    ]
    assert teaching.teacher_a.max_weekly_sessions == 5
    assert teaching.teacher_b.availability.count() == 1


def test_ratings_show_comments_past_moderation_only(client, teaching):
    from ratings.models import SessionRating

    old = timezone.now() - timedelta(days=10)
    common = {"session": teaching.session_a, "teacher": teaching.teacher_a}
    SessionRating.objects.create(resident=teaching.alice, stars=5, comment="讲得好", created=old, **common)
    SessionRating.objects.create(
        resident=ResidentFactory(), stars=1, comment="HIDDEN", created=old, is_hidden=True, **common
    )
    SessionRating.objects.create(resident=ResidentFactory(), stars=2, comment="TOO-NEW", **common)
    SessionRating.objects.create(
        resident=ResidentFactory(),
        stars=4,
        comment="OTHER-TEACHER",
        created=old,
        session=teaching.session_b,
        teacher=teaching.teacher_b,
    )
    body = _signed_in(client, teaching.teacher_a.user).get(reverse("teachers:teach_ratings")).content.decode()
    assert "讲得好" in body
    assert "HIDDEN" not in body and "TOO-NEW" not in body and "OTHER-TEACHER" not in body
    assert teaching.alice.name not in body


def test_volunteer_hours_count_held_sessions_of_mine(client, teaching):
    from tests.factories import SessionFactory

    past = timezone.now() - timedelta(days=3)
    SessionFactory(course=teaching.course_a, starts_at=past, ends_at=past + timedelta(hours=1, minutes=30))
    SessionFactory(course=teaching.course_b, starts_at=past, ends_at=past + timedelta(hours=2))
    hours = _signed_in(client, teaching.teacher_a.user).get(reverse("teachers:teach_hours")).context["hours"]
    assert (hours.sessions, hours.hours) == (1, 1.5)


# --- venue owners ------------------------------------------------------------------------------------------


def _pending(teaching):
    a = (
        Booking.objects.get(session=teaching.session_a)
        if Booking.objects.filter(session=teaching.session_a).exists()
        else None
    )
    if a is None:
        a = booking_create(
            venue=teaching.venue_a,
            starts_at=teaching.start,
            ends_at=teaching.start + timedelta(hours=1),
            session=teaching.session_a,
        )
    b = booking_create(
        venue=teaching.venue_b,
        starts_at=teaching.start,
        ends_at=teaching.start + timedelta(hours=1),
        session=teaching.session_b,
    )
    return a, b


def test_owner_pages_refuse_other_roles(client, teaching):
    for user in (teaching.alice, teaching.teacher_a.user, teaching.pair.staff_a):
        assert _signed_in(client, user).get(reverse("venues:owner_home")).status_code == 403


def test_the_owner_sees_and_answers_requests_of_their_venues_only(client, teaching):
    a, b = _pending(teaching)
    c = _signed_in(client, teaching.owner_a)
    page = c.get(reverse("venues:owner_home"))
    assert [bk.pk for bk in page.context["pending"]] == [a.pk]
    assert teaching.course_a.title in page.content.decode()
    assert c.post(reverse("venues:owner_answer", args=[b.pk]), {"answer": "confirm"}).status_code == 404
    assert c.get(reverse("venues:owner_week", args=[teaching.venue_b.pk])).status_code == 404
    before = snapshot(Booking.objects.all(), "status", "decline_reason")
    assert (
        c.post(reverse("venues:owner_answer", args=[a.pk]), {"answer": "decline", "reason": ""}).status_code
        == 400
    )
    assert snapshot(Booking.objects.all(), "status", "decline_reason") == before
    assert (
        c.post(
            reverse("venues:owner_answer", args=[a.pk]), {"answer": "decline", "reason": "装修"}
        ).status_code
        == 302
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.decline_reason, a.answered_by) == (BookingStatus.DECLINED, "装修", teaching.owner_a)
    assert b.status == BookingStatus.PENDING


def test_the_owner_confirms_and_sees_the_week(client, teaching):
    a, b = _pending(teaching)
    c = _signed_in(client, teaching.owner_b)
    assert c.post(reverse("venues:owner_answer", args=[b.pk]), {"answer": "confirm"}).status_code == 302
    b.refresh_from_db()
    a.refresh_from_db()
    assert (b.status, a.status) == (BookingStatus.CONFIRMED, BookingStatus.PENDING)
    week = c.get(
        reverse("venues:owner_week", args=[teaching.venue_b.pk]),
        {"week": timezone.localdate(teaching.start).isoformat()},
    )
    assert [bk.pk for d in week.context["days"] for bk in d["bookings"]] == [b.pk]


def test_staff_keep_their_path_and_only_in_scope(teaching):
    from community_college.errors import ScopeError
    from venues.services import booking_decline, booking_owner_confirm

    a, b = _pending(teaching)
    booking_owner_confirm(booking=a, actor=teaching.pair.staff_a)
    with pytest.raises(ScopeError):
        booking_decline(booking=b, actor=teaching.pair.staff_a, reason="x")
    with pytest.raises(ScopeError):
        booking_decline(booking=b, actor=StaffFactory(community=teaching.pair.a), reason="x")
    b.refresh_from_db()
    assert b.status == BookingStatus.PENDING
