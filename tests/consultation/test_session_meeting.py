"""A deliberation meeting held as a session of a class: the session's room and time (no booking of its own),
check-in through the class's roll call (`activities.services.attendance_record`), and the simple vote
counting only the residents that roll call has present."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from activities.enums import AttendanceStatus, RegistrationStatus, SessionStatus
from activities.models import Attendance, Course
from activities.services import attendance_record
from community_college.errors import ConflictError, ScopeError
from consultation import services
from consultation.enums import MeetingStatus, OwnerKind
from consultation.models import Meeting, Participant
from tests.factories.activities import CourseFactory, RegistrationFactory, SessionFactory
from venues.models import Booking

from .conftest import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def classes(world, clock):
    """Two classes of the home community and one of the other, each with a coming session in its own room;
    the first class has three seats, one taken by residents[1]."""
    clock.set("2026-09-21 09:00")
    course = CourseFactory(community=world.home, capacity=3)
    RegistrationFactory(course=course, resident=world.residents[1], status=RegistrationStatus.CONFIRMED)
    Course.objects.filter(pk=course.pk).update(confirmed_count=1)
    session = SessionFactory(course=course, starts_at=at("2026-09-24 19:00"), ends_at=at("2026-09-24 21:00"), capacity=3)
    second = SessionFactory(course=CourseFactory(community=world.home), starts_at=at("2026-09-24 19:00"), ends_at=at("2026-09-24 21:00"))
    foreign = SessionFactory(course=CourseFactory(community=world.other), starts_at=at("2026-09-24 19:00"), ends_at=at("2026-09-24 21:00"))
    return session, second, foreign


@pytest.fixture
def held(world, classes):
    session, second, foreign = classes
    matter = world.raise_matter()
    services.matter_support(matter=matter, user=world.residents[1])
    services.matter_support(matter=matter, user=world.residents[2])
    services.matter_support(matter=matter, user=world.residents[3])
    services.matter_to_deliberation(matter=matter, actor=world.staff)
    meeting = services.meeting_schedule(
        community=world.home, session=session, title="课堂议事", actor=world.staff, matters=[matter]
    )
    return meeting, matter


def test_meeting_in_a_session_takes_its_room_and_time_and_books_nothing(world, classes, held):
    session, second, foreign = classes
    meeting, matter = held
    assert (meeting.session_id, meeting.venue_id, meeting.starts_at, meeting.ends_at) == (
        session.pk, session.venue_id, session.starts_at, session.ends_at
    )
    assert meeting.booking_id is None and Booking.objects.filter(venue=session.venue, purpose__startswith="议事会").count() == 0
    assert Participant.objects.filter(meeting=meeting).count() == 4  # the raiser and three supporters
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.residents[1])
    assert api.get(f"/api/v1/consultation/meetings/{meeting.pk}/").json()["session"] == session.pk
    # The same session cannot hold a second meeting; another community's session is refused.
    other = world.raise_matter("第二件", resident=world.residents[2])
    services.matter_to_deliberation(matter=other, actor=world.staff)
    with pytest.raises(ConflictError):
        services.meeting_schedule(community=world.home, session=session, title="再来", actor=world.staff, matters=[other])
    with pytest.raises(ValidationError):
        services.meeting_schedule(community=world.home, session=foreign, title="别处", actor=world.staff, matters=[other])
    with pytest.raises(ScopeError):
        services.meeting_schedule(community=world.home, session=second, title="越权", actor=world.other_staff)
    # The database holds the rule too: one live meeting per session.
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            community=world.home, title="绕过", venue=session.venue, session=session,
            starts_at=session.starts_at, ends_at=session.ends_at,
        )
    # Once cancelled, the session is free for another meeting; a past or cancelled session is refused.
    services.meeting_cancel(meeting=meeting, actor=world.staff)
    again = services.meeting_schedule(community=world.home, session=session, title="改期", actor=world.staff, matters=[other])
    assert again.session_id == session.pk
    second.status = SessionStatus.CANCELLED
    second.save(update_fields=["status"])
    with pytest.raises(ConflictError):
        services.meeting_schedule(community=world.home, session=second, title="已取消", actor=world.staff)
    assert Meeting.objects.filter(session=second).count() == 0 and Meeting.objects.filter(session=foreign).count() == 0


def test_check_in_goes_through_the_roll_call_and_only_those_present_count(world, clock, classes, held):
    session, second, foreign = classes
    meeting, matter = held
    residents = world.residents
    with pytest.raises(ConflictError):  # the roll call opens when the session starts
        services.meeting_check_in(meeting=meeting, user=residents[0], actor=world.staff)
    assert not Participant.objects.filter(meeting=meeting, present_at__isnull=False).exists()
    clock.set("2026-09-24 19:05")
    for resident in residents[:3]:
        services.meeting_check_in(meeting=meeting, user=resident, actor=world.staff)
    rows = {a.resident_id: a for a in Attendance.objects.filter(session=session)}
    assert set(rows) == {residents[0].pk, residents[1].pk, residents[2].pk}
    assert rows[residents[1].pk].walk_in is False  # registered in the class
    assert rows[residents[0].pk].walk_in is True and rows[residents[2].pk].walk_in is True
    assert all(row.attended for row in rows.values())
    # The room has three seats: one place taken plus two walk-ins fill it; the fourth is refused, not recorded.
    with pytest.raises(ConflictError):
        services.meeting_check_in(meeting=meeting, user=residents[3], actor=world.staff)
    assert not Attendance.objects.filter(session=session, resident=residents[3]).exists()
    assert Participant.objects.get(meeting=meeting, user=residents[3]).present_at is None
    # A resident of another community cannot check in; other sessions are untouched.
    with pytest.raises(ScopeError):
        services.meeting_check_in(meeting=meeting, user=world.neighbours[0], actor=world.staff)
    assert Attendance.objects.filter(session__in=[second, foreign]).count() == 0

    services.meeting_record_minutes(meeting=meeting, actor=world.staff, minutes="表决停车方案")
    decision = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="夜间开放操场", owner_kind=OwnerKind.STAFF,
        owner_user=world.staff, due_date=date(2026, 10, 15), needs_vote=True,
    )
    services.vote_cast(decision=decision, voter=residents[0], choice="for")
    services.vote_cast(decision=decision, voter=residents[1], choice="against")
    services.vote_cast(decision=decision, voter=residents[2], choice="for")
    with pytest.raises(ScopeError):  # invited, not checked in
        services.vote_cast(decision=decision, voter=residents[3], choice="for")
    assert services.vote_tally(decision) == {"for": 2, "against": 1, "abstain": 0}
    # The class's roll call is the record: marked absent there, residents[1]'s vote no longer counts.
    attendance_record(session=session, resident=residents[1], status=AttendanceStatus.ABSENT, actor=world.staff)
    assert services.vote_tally(decision) == {"for": 2, "against": 0, "abstain": 0}
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.HELD
    # Someone present on the roll call of another session has no say here.
    clock.set("2026-09-24 19:10")
    assert session.starts_at < clock.now < session.starts_at + timedelta(hours=2)


def test_admin_schedules_a_meeting_in_a_session(client, world, classes):
    session, second, foreign = classes
    matter = world.raise_matter()
    services.matter_to_deliberation(matter=matter, actor=world.staff)
    client.force_login(world.staff)
    form = client.get("/admin/consultation/meeting/add/").content.decode()
    choices = form.split('name="session"', 1)[1].split("</select>", 1)[0]
    assert f'value="{session.pk}"' in choices and f'value="{foreign.pk}"' not in choices
    response = client.post(
        "/admin/consultation/meeting/add/",
        {"community": world.home.pk, "title": "课上议事", "session": session.pk, "matters": [matter.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert (meeting.session_id, meeting.booking_id, meeting.venue_id) == (session.pk, None, session.venue_id)
    # Neither a session nor a venue and times: a form error, nothing saved.
    response = client.post("/admin/consultation/meeting/add/", {"community": world.home.pk, "title": "空"})
    assert response.status_code == 200 and Meeting.objects.count() == 1
