"""Check-in by QR code: the signed code, its window and freshness, walk-ins, and nothing saved on a refusal.

The clock is frozen by passing `now` to the services (the code's step and the window are computed from it).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from activities.checkin import attendance_check_in, checkin_code, checkin_code_session_id
from activities.enums import AttendanceSource, RegistrationStatus
from activities.models import Attendance, Course, Registration
from activities.services import attendance_record
from community_college.errors import ConflictError, ScopeError
from tests.factories import ResidentFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db


def _refusal(exc_info) -> tuple[str, str]:
    return exc_info.value.code, " ".join(exc_info.value.messages)


def test_a_registered_resident_checks_in_with_the_current_code(teaching):
    now = teaching.start - timedelta(minutes=10)
    code = checkin_code(session=teaching.session_a, now=now).code
    result = attendance_check_in(code=code, resident=teaching.alice, now=now)
    row = Attendance.objects.get(session=teaching.session_a, resident=teaching.alice)
    assert (row.attended, row.walk_in, row.source, row.recorded_by, row.recorded_at, result.walked_in) == (
        True,
        False,
        AttendanceSource.CODE,
        teaching.alice,
        now,
        False,
    )
    # Scanning twice records once.
    attendance_check_in(code=code, resident=teaching.alice, now=now + timedelta(seconds=5))
    assert Attendance.objects.filter(resident=teaching.alice).count() == 1
    assert Attendance.objects.count() == 1


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(minutes=-30), None),
        (timedelta(minutes=30), None),
        (timedelta(minutes=-31), "checkin_not_open"),
        (timedelta(minutes=31), "checkin_closed"),
        (timedelta(days=-3), "checkin_not_open"),
        (timedelta(days=2), "checkin_closed"),
    ],
)
def test_codes_exist_and_count_only_in_the_window(teaching, offset, expected):
    now = teaching.start + offset
    if expected is None:
        code = checkin_code(session=teaching.session_a, now=now).code
        attendance_check_in(code=code, resident=teaching.alice, now=now)
        assert Attendance.objects.filter(session=teaching.session_a, resident=teaching.alice).exists()
        return
    with pytest.raises(ConflictError) as exc_info:
        checkin_code(session=teaching.session_a, now=now)
    assert exc_info.value.code == expected
    # A code made inside the window and used outside it is refused the same way.
    inside = teaching.start
    code = checkin_code(session=teaching.session_a, now=inside).code
    with pytest.raises(ConflictError) as exc_info:
        attendance_check_in(code=code, resident=teaching.alice, now=now)
    assert exc_info.value.code in {expected, "stale_code"}
    assert Attendance.objects.count() == 0


def test_a_code_from_two_minutes_ago_is_stale_and_says_so(teaching):
    made = teaching.start
    code = checkin_code(session=teaching.session_a, now=made).code
    # The next minute still takes it (the time to scan); the one after does not.
    assert checkin_code_session_id(code=code, now=made + timedelta(seconds=60)) == teaching.session_a.pk
    with translation.override("en"), pytest.raises(ConflictError) as exc_info:
        attendance_check_in(code=code, resident=teaching.alice, now=made + timedelta(seconds=125))
    assert _refusal(exc_info) == (
        "stale_code",
        "This check-in code has expired: codes change every minute. Scan the code on the teacher's screen again.",
    )
    assert Attendance.objects.count() == 0


@override_settings(CHECKIN_CODE_SECONDS=30)
def test_the_period_is_a_setting(teaching):
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    with pytest.raises(ConflictError):
        checkin_code_session_id(code=code, now=teaching.start + timedelta(seconds=65))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),
        lambda code: "9" + code,  # another session, same signature
        lambda code: (
            code.split("-")[0] + "-" + str(int(code.split("-")[1]) + 1) + "-" + code.split("-", 2)[2]
        ),
        lambda code: "not-a-code",
        lambda code: "",
    ],
)
def test_a_forged_code_is_refused(teaching, tamper):
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    with translation.override("en"), pytest.raises(ConflictError) as exc_info:
        attendance_check_in(code=tamper(code), resident=teaching.alice, now=teaching.start)
    assert exc_info.value.code == "bad_code"
    assert Attendance.objects.count() == 0


def test_one_sessions_code_does_not_check_in_to_another(teaching):
    code_b = checkin_code(session=teaching.session_b, now=teaching.start).code
    # Alice is registered in a's class only; b's class has a free place, so she would be a walk-in there.
    result = attendance_check_in(code=code_b, resident=teaching.alice, now=teaching.start)
    assert result.session == teaching.session_b
    assert not Attendance.objects.filter(session=teaching.session_a).exists()


def test_a_walk_in_with_a_free_place_is_registered_and_checked_in(teaching):
    carol = ResidentFactory(profile__community=teaching.pair.a)
    others = snapshot(Course.objects.exclude(pk=teaching.course_a.pk), "confirmed_count")
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    result = attendance_check_in(code=code, resident=carol, now=teaching.start)
    registration = Registration.objects.get(course=teaching.course_a, resident=carol)
    row = Attendance.objects.get(session=teaching.session_a, resident=carol)
    teaching.course_a.refresh_from_db()
    assert (
        result.walked_in,
        registration.status,
        row.attended,
        row.walk_in,
        teaching.course_a.confirmed_count,
    ) == (
        True,
        RegistrationStatus.CONFIRMED,
        True,
        False,
        2,
    )
    assert snapshot(Course.objects.exclude(pk=teaching.course_a.pk), "confirmed_count") == others


def test_a_walk_in_to_a_full_class_is_refused_and_nothing_saved(teaching):
    for _ in range(2):
        from activities.services import registration_create

        registration_create(
            course=teaching.course_a, resident=ResidentFactory(profile__community=teaching.pair.a)
        )
    dave = ResidentFactory(profile__community=teaching.pair.a)
    before = snapshot(Registration.objects.all(), "status", "course_id", "resident_id")
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    with translation.override("en"), pytest.raises(ConflictError) as exc_info:
        attendance_check_in(code=code, resident=dave, now=teaching.start)
    assert _refusal(exc_info) == (
        "not_registered",
        "You are not registered for this class, and it has no free place today.",
    )
    # Not even a place on the waiting list: a refused check-in changes nothing.
    assert snapshot(Registration.objects.all(), "status", "course_id", "resident_id") == before
    assert Attendance.objects.count() == 0


def test_a_resident_on_the_waiting_list_of_a_full_class_is_refused(teaching):
    from activities.services import registration_create

    for _ in range(2):
        registration_create(
            course=teaching.course_a, resident=ResidentFactory(profile__community=teaching.pair.a)
        )
    erin = ResidentFactory(profile__community=teaching.pair.a)
    waiting = registration_create(course=teaching.course_a, resident=erin)
    assert waiting.status == RegistrationStatus.WAITLISTED
    code = checkin_code(session=teaching.session_a, now=teaching.start).code
    with pytest.raises(ConflictError) as exc_info:
        attendance_check_in(code=code, resident=erin, now=teaching.start)
    assert exc_info.value.code == "not_registered"
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.WAITLISTED


def test_after_sign_in_the_code_is_judged_when_it_was_scanned(teaching):
    scanned = teaching.start
    code = checkin_code(session=teaching.session_a, now=scanned).code
    # Five minutes of signing in: the code is long rotated, but it was fresh when scanned.
    attendance_check_in(
        code=code, resident=teaching.alice, scanned_at=scanned, now=scanned + timedelta(minutes=5)
    )
    assert Attendance.objects.filter(resident=teaching.alice, attended=True).count() == 1


def test_a_scan_older_than_the_sign_in_grace_is_stale(teaching):
    scanned = teaching.start
    code = checkin_code(session=teaching.session_a, now=scanned).code
    with pytest.raises(ConflictError) as exc_info:
        attendance_check_in(
            code=code, resident=teaching.alice, scanned_at=scanned, now=scanned + timedelta(minutes=11)
        )
    assert exc_info.value.code == "stale_code"


def test_a_present_mark_is_not_overwritten_by_a_scan_but_an_absent_one_is(teaching):
    now = teaching.start + timedelta(minutes=5)
    attendance_record(
        session=teaching.session_a,
        resident=teaching.alice,
        status="absent",
        actor=teaching.teacher_a.user,
        now=now,
    )
    code = checkin_code(session=teaching.session_a, now=now).code
    attendance_check_in(code=code, resident=teaching.alice, now=now)
    row = Attendance.objects.get(resident=teaching.alice)
    assert (row.attended, row.source) == (True, AttendanceSource.CODE)


def test_the_code_source_checks_in_only_the_resident_themselves(teaching):
    with pytest.raises(ScopeError):
        attendance_record(
            session=teaching.session_a,
            resident=teaching.alice,
            status="present",
            actor=teaching.bob,
            source=AttendanceSource.CODE,
            now=teaching.start,
        )
    assert Attendance.objects.count() == 0


def test_the_teacher_ticks_names_on_the_roster_through_the_roll_call(teaching):
    now = teaching.start + timedelta(minutes=1)
    row = attendance_record(
        session=teaching.session_a,
        resident=teaching.alice,
        status="present",
        actor=teaching.teacher_a.user,
        now=now,
    )
    assert (row.source, row.recorded_by) == (AttendanceSource.ROLL_CALL, teaching.teacher_a.user)
    # Another teacher may not tick a's roster.
    with pytest.raises(ScopeError):
        attendance_record(
            session=teaching.session_a,
            resident=teaching.alice,
            status="absent",
            actor=teaching.teacher_b.user,
            now=now,
        )
    row.refresh_from_db()
    assert row.attended is True
