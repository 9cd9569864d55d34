"""The course-change helpers read and write the right rows: written against the mutants of `_move_session`,
`_teacher_clash`, `_slot_times` and the two locks (issue 23). Two communities, two classes each time; the
class not changed is compared before and after."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from activities import services
from activities.enums import CourseStatus, SessionStatus
from activities.models import Course, Session
from community_college.errors import ConflictError, ScopeError
from tests.factories import CourseFactory, TeacherFactory, VenueFactory, WeeklySlotFactory
from venues.enums import BookingStatus
from venues.models import Booking

from .classes import make_side, next_weekday
from .test_course_changes import snapshot

# Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def two():
    return make_side(past=1), make_side(past=1)


def _coming(course):
    return Session.objects.filter(course=course, starts_at__gt=timezone.now()).order_by("starts_at")


def test_removing_the_venue_cancels_the_coming_bookings_of_that_class_only(two):
    a, b = two
    before_b = snapshot(b)
    past = Session.objects.get(course=a.course, starts_at__lt=timezone.now())
    services.course_update(course=a.course, actor=a.staff, venue=None)
    assert [(s.venue_id, s.capacity) for s in _coming(a.course)] == [(None, 2)] * 3
    bookings = Booking.objects.filter(session__course=a.course)
    assert sorted(bookings.values_list("status", flat=True)) == [BookingStatus.CANCELLED] * 3
    # The meeting already held keeps its room.
    assert Session.objects.get(pk=past.pk).venue_id == a.venue.pk
    assert snapshot(b) == before_b


def test_a_venue_given_to_a_class_without_one_books_each_coming_meeting_with_its_seats(two):
    a, b = two
    staff = a.staff
    # No weekly slot either: the meetings keep their times.
    course = CourseFactory(community=a.community, capacity=5, venue=None, slot=None)
    meetings = [
        services.session_schedule(
            course=course,
            starts_at=next_weekday(1, 18, weeks),
            ends_at=next_weekday(1, 19, weeks),
            actor=staff,
        )
        for weeks in (1, 2)
    ]
    assert not Booking.objects.filter(session__in=meetings).exists()
    small = VenueFactory(community=a.community, capacity=3)
    before_a, before_b = snapshot(a), snapshot(b)
    services.course_update(course=course, actor=staff, venue=small)
    bookings = Booking.objects.filter(session__course=course).order_by("starts_at")
    assert [(bk.session_id, bk.venue_id, bk.starts_at, bk.ends_at, bk.status) for bk in bookings] == [
        (m.pk, small.pk, m.starts_at, m.ends_at, BookingStatus.CONFIRMED) for m in meetings
    ]
    assert {(bk.booked_by_id, bk.purpose) for bk in bookings} == {(staff.pk, course.title)}
    # The room holds three: the meetings have three seats, not the class's five.
    assert [(s.venue_id, s.capacity) for s in _coming(course)] == [(small.pk, 3)] * 2
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


def test_a_bigger_venue_keeps_the_seats_at_the_classs_places(two):
    a, b = two
    before_b = snapshot(b)
    big = VenueFactory(community=a.community, capacity=50)
    services.course_update(course=a.course, actor=a.staff, venue=big)
    assert [(s.venue_id, s.capacity) for s in _coming(a.course)] == [(big.pk, 2)] * 3
    assert snapshot(b) == before_b


def test_a_venue_of_another_community_is_refused_for_the_whole_class(two):
    a, b = two
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(ScopeError) as refused:
        services.course_update(course=a.course, actor=a.staff, venue=b.spare_venue)
    assert refused.value.code == "scope"
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


def test_the_new_slot_is_found_in_the_meetings_own_week_from_any_weekday(two):
    a, b = two
    wednesday = WeeklySlotFactory(code="wed-1000", weekday=2, start=time(10), end=time(11, 30))
    friday = WeeklySlotFactory(code="fri-1500", weekday=4, start=time(15), end=time(16))
    services.course_update(course=a.course, actor=a.staff, slot=wednesday)
    mondays = [next_weekday(0, 9, weeks) for weeks in (1, 2, 3)]
    assert [(s.starts_at, s.ends_at) for s in _coming(a.course)] == [
        (m + timedelta(days=2, hours=1), m + timedelta(days=2, hours=2, minutes=30)) for m in mondays
    ]
    before_b = snapshot(b)
    # From Wednesday to Friday of the same week, and back to Monday of the same week.
    services.course_update(course=a.course, actor=a.staff, slot=friday)
    assert [(s.starts_at, s.ends_at) for s in _coming(a.course)] == [
        (m + timedelta(days=4, hours=6), m + timedelta(days=4, hours=7)) for m in mondays
    ]
    monday_late = WeeklySlotFactory(code="mon-1900", weekday=0, start=time(19), end=time(20))
    services.course_update(course=a.course, actor=a.staff, slot=monday_late)
    assert [(s.starts_at, s.ends_at) for s in _coming(a.course)] == [
        (m + timedelta(hours=10), m + timedelta(hours=11)) for m in mondays
    ]
    assert list(
        Booking.objects.filter(session__course=a.course)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    ) == [(m + timedelta(hours=10), m + timedelta(hours=11)) for m in mondays]
    assert snapshot(b) == before_b


def _teacher_with_meeting(
    community, starts_at, ends_at, *, course_status=CourseStatus.OPEN, status=SessionStatus.SCHEDULED
):
    """A teacher whose other class meets from `starts_at` to `ends_at` (created directly: no booking)."""
    teacher = TeacherFactory()
    course = CourseFactory(community=community, teacher=teacher, status=course_status)
    Session.objects.create(
        course=course,
        venue=None,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=course.capacity,
        status=status,
    )
    return teacher


@pytest.mark.parametrize(
    "course_status, status",
    [
        (CourseStatus.CANCELLED, SessionStatus.SCHEDULED),
        (CourseStatus.CLOSED, SessionStatus.SCHEDULED),
        (CourseStatus.OPEN, SessionStatus.CANCELLED),
        (CourseStatus.OPEN, SessionStatus.HELD),
    ],
)
def test_a_teachers_meeting_that_will_not_take_place_does_not_clash(two, course_status, status):
    a, b = two
    first = _coming(a.course).first()
    teacher = _teacher_with_meeting(
        b.community, first.starts_at, first.ends_at, course_status=course_status, status=status
    )
    before_b = snapshot(b)
    services.course_update(course=a.course, actor=a.staff, teacher=teacher)
    assert Course.objects.get(pk=a.course.pk).teacher_id == teacher.pk
    assert snapshot(b) == before_b


def test_a_teachers_meeting_that_ends_as_this_one_starts_does_not_clash_and_one_minute_more_does(two):
    a, b = two
    first = _coming(a.course).first()
    before = first.starts_at - timedelta(hours=1)
    touching = _teacher_with_meeting(b.community, before, first.starts_at)
    overlapping = _teacher_with_meeting(b.community, before, first.starts_at + timedelta(minutes=1))
    after = _teacher_with_meeting(b.community, first.ends_at, first.ends_at + timedelta(hours=1))
    before_a = snapshot(a)
    with pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, teacher=overlapping)
    assert refused.value.code == "clash"
    assert snapshot(a) == before_a
    services.course_update(course=a.course, actor=a.staff, teacher=touching)
    assert Course.objects.get(pk=a.course.pk).teacher_id == touching.pk
    services.course_update(course=a.course, actor=a.staff, teacher=after)
    assert Course.objects.get(pk=a.course.pk).teacher_id == after.pk


def test_a_class_without_a_teacher_moves_without_looking_for_clashes(two):
    a, b = two
    services.course_update(course=a.course, actor=a.staff, teacher=None)
    wednesday = WeeklySlotFactory(code="wed-0900", weekday=2, start=time(9), end=time(10, 30))
    before_b = snapshot(b)
    services.course_update(course=a.course, actor=a.staff, slot=wednesday)
    assert Course.objects.get(pk=a.course.pk).teacher_id is None
    assert {timezone.localtime(s.starts_at).weekday() for s in _coming(a.course)} == {2}
    assert snapshot(b) == before_b


def test_a_proposed_class_may_be_changed_and_a_closed_one_may_not(two):
    a, b = two
    Course.objects.filter(pk=a.course.pk).update(status=CourseStatus.PROPOSED)
    Course.objects.filter(pk=b.course.pk).update(status=CourseStatus.CLOSED)
    services.course_update(course=a.course, actor=a.staff, capacity=7)
    assert Course.objects.get(pk=a.course.pk).capacity == 7
    with pytest.raises(ConflictError) as refused:
        services.course_update(course=b.course, actor=b.staff, capacity=7)
    assert refused.value.code == "course_not_changeable"
    assert Course.objects.get(pk=b.course.pk).capacity == 2


def test_another_communitys_staff_may_neither_cancel_nor_move_a_meeting(two):
    a, b = two
    first = _coming(a.course).first()
    later = next_weekday(3, 15)
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(ScopeError):
        services.session_cancel(session=first, actor=b.staff)
    with pytest.raises(ScopeError):
        services.session_reschedule(
            session=first, actor=b.staff, starts_at=later, ends_at=later + timedelta(hours=1)
        )
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)
    services.session_cancel(session=_coming(b.course).first(), actor=b.staff)
    assert Session.objects.get(pk=first.pk).status == SessionStatus.SCHEDULED


def test_only_a_scheduled_meeting_still_to_come_can_be_changed(two, monkeypatch):
    a, b = two
    first, second, third = _coming(a.course)
    past = Session.objects.get(course=a.course, starts_at__lt=timezone.now())
    Session.objects.filter(pk=second.pk).update(status=SessionStatus.HELD)
    later = next_weekday(3, 15)
    for meeting in (past, second):
        with pytest.raises(ConflictError) as refused:
            services.session_reschedule(
                session=meeting, actor=a.staff, starts_at=later, ends_at=later + timedelta(hours=1)
            )
        assert refused.value.code == "session_not_changeable"
    # A meeting starting this very moment has started.
    monkeypatch.setattr(timezone, "now", lambda: third.starts_at)
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(ConflictError) as refused:
        services.session_cancel(session=third, actor=a.staff)
    assert refused.value.code == "session_not_changeable"
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


def test_rescheduling_one_meeting_keeps_its_room_when_none_is_given(two):
    a, b = two
    first, second, _third = _coming(a.course)
    later = next_weekday(3, 15)
    before_b = snapshot(b)
    services.session_reschedule(
        session=second, actor=a.staff, starts_at=later, ends_at=later + timedelta(hours=1)
    )
    moved = Session.objects.get(pk=second.pk)
    assert (moved.venue_id, moved.starts_at, moved.ends_at) == (a.venue.pk, later, later + timedelta(hours=1))
    booking = Booking.objects.get(session=second)
    assert (booking.venue_id, booking.starts_at, booking.status) == (
        a.venue.pk,
        later,
        BookingStatus.CONFIRMED,
    )
    # The booking's history says who moved it.
    assert booking.history.order_by("-history_id").first().history_change_reason == f"moved by {a.staff.pk}"
    untouched = Booking.objects.get(session=first)
    assert (untouched.starts_at, untouched.status) == (first.starts_at, BookingStatus.CONFIRMED)
    assert snapshot(b) == before_b
