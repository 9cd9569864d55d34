"""The periodic scans: reminders 24 h and 2 h before a meeting, feedback requests after attending."""

from datetime import timedelta

import pytest

from activities.enums import RegistrationStatus
from activities.models import Registration
from notices import tasks
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    PolicyTalkFactory,
    SessionFactory,
    SessionRatingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(place):
    return CourseFactory(
        title="太极拳初级班", category=place.taiji, community=place.community, slot=place.slot
    )


def _register(course, resident, status=RegistrationStatus.CONFIRMED):
    return Registration.objects.create(course=course, resident=resident, status=status)


def _notices(purpose):
    return list(
        Notice.objects.filter(purpose=purpose)
        .order_by("recipient_id")
        .values_list("recipient_id", "object_key")
    )


def test_reminders_the_day_before_and_two_hours_before(clock, course, make_resident, committed, sms_outbox):
    resident, waiting = make_resident(language="en"), make_resident()
    _register(course, resident)
    _register(course, waiting, RegistrationStatus.WAITLISTED)
    session = SessionFactory(course=course, starts_at=clock.now + timedelta(hours=23))  # Wed 09:00
    PolicyTalkFactory(session=session, topic="垃圾分类")
    key = f"session:{session.pk}@{int(session.starts_at.timestamp())}"

    with committed():
        tasks.scan_reminders.delay()
        tasks.scan_reminders.delay()  # every ten minutes: nothing twice
    assert _notices(Purpose.REMINDER_24H) == [(resident.pk, key)]
    notice = Notice.objects.get(purpose=Purpose.REMINDER_24H)
    assert notice.title == "Reminder: 太极拳初级班, March 11 (Wednesday) 9 a.m."
    assert "Five minutes before class: a talk on “垃圾分类”" in notice.body
    assert _notices(Purpose.REMINDER_2H) == []

    clock.advance(hours=21, minutes=30)  # 07:30, an hour and a half before
    with committed():
        tasks.scan_reminders.delay()
    assert _notices(Purpose.REMINDER_2H) == [(resident.pk, key)]
    assert Notice.objects.get(purpose=Purpose.REMINDER_2H).sms_text.startswith(
        "太极拳初级班 starts at 9 a.m."
    )
    assert _notices(Purpose.REMINDER_24H) == [(resident.pk, key)]
    assert len(sms_outbox) == 2


def test_late_registration_gets_only_the_two_hour_reminder(clock, course, make_resident, committed):
    resident = make_resident()
    _register(course, resident)
    SessionFactory(course=course, starts_at=clock.now + timedelta(hours=1))
    with committed():
        tasks.scan_reminders.delay()
    assert list(Notice.objects.values_list("purpose", flat=True)) == [Purpose.REMINDER_2H]


def test_a_moved_meeting_is_reminded_again(clock, course, make_resident, committed):
    resident = make_resident()
    _register(course, resident)
    session = SessionFactory(course=course, starts_at=clock.now + timedelta(hours=20))
    with committed():
        tasks.scan_reminders.delay()
    session.starts_at += timedelta(hours=2)
    session.ends_at += timedelta(hours=2)
    session.save()
    with committed():
        tasks.scan_reminders.delay()
    assert Notice.objects.filter(purpose=Purpose.REMINDER_24H, recipient=resident).count() == 2


def test_feedback_requested_once_after_attending(clock, course, make_resident, committed, sms_outbox):
    came, absent, rated = make_resident(language="en"), make_resident(), make_resident()
    session = SessionFactory(course=course, starts_at=clock.now - timedelta(hours=3))
    AttendanceFactory(session=session, resident=came)
    AttendanceFactory(session=session, resident=absent, attended=False)
    AttendanceFactory(session=session, resident=rated)
    SessionRatingFactory(session=session, resident=rated)
    with committed():
        tasks.scan_feedback_requests.delay()
        tasks.scan_feedback_requests.delay()
    assert _notices(Purpose.FEEDBACK_REQUEST) == [(came.pk, f"session:{session.pk}")]
    notice = Notice.objects.get(purpose=Purpose.FEEDBACK_REQUEST)
    assert notice.title == "How was 太极拳初级班?"
    assert notice.url == f"/sessions/{session.pk}/feedback/"
    assert (
        sms_outbox[0].text
        == f"How was 太极拳初级班? Give it stars: https://college.example.org/sessions/{session.pk}/feedback/"
    )


def test_no_feedback_request_for_a_meeting_long_past(clock, course, make_resident, committed):
    resident = make_resident()
    session = SessionFactory(course=course, starts_at=clock.now - timedelta(days=5))
    AttendanceFactory(session=session, resident=resident)
    with committed():
        tasks.scan_feedback_requests.delay()
    assert Notice.objects.count() == 0
