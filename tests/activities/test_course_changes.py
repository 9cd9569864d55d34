"""Class changes through the services: places, venue, time and teacher; a meeting cancelled or moved."""

from datetime import time, timedelta

import pytest
from django.utils import translation

from activities import services
from activities.enums import CourseStatus, SessionStatus
from activities.models import Course, Registration, Session
from community_college.errors import ConflictError, ScopeError
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import TeacherFactory, WeeklySlotFactory
from venues.enums import BookingStatus
from venues.models import Booking

from .classes import make_side, next_weekday, residents

# Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def two():
    return make_side(), make_side()


def fill(course, people):
    return [services.registration_create(course=course, resident=r) for r in people]


def snapshot(side):
    """What must not move when the other class is changed."""
    course = Course.objects.get(pk=side.course.pk)
    return (
        course.capacity,
        course.confirmed_count,
        course.venue_id,
        course.slot_id,
        course.teacher_id,
        list(Session.objects.filter(course=course).values_list("starts_at", "venue_id", "status").order_by("pk")),
        list(Booking.objects.filter(session__course=course).values_list("venue_id", "starts_at", "status").order_by("pk")),
        list(Registration.objects.filter(course=course).values_list("status", flat=True).order_by("pk")),
    )


def test_more_places_move_the_waiting_list_up_in_the_order_it_joined(two):
    a, b = two
    regs = fill(a.course, residents(a.community, 5))
    fill(b.course, residents(b.community, 3))
    before_b = snapshot(b)
    assert [r.status for r in regs] == ["confirmed"] * 2 + ["waitlisted"] * 3
    services.course_update(course=a.course, actor=a.staff, capacity=4)
    statuses = [Registration.objects.get(pk=r.pk).status for r in regs]
    assert statuses == ["confirmed"] * 4 + ["waitlisted"]
    assert Course.objects.get(pk=a.course.pk).confirmed_count == 4
    assert snapshot(b) == before_b


def test_fewer_places_than_taken_is_refused_and_nothing_changes(two):
    a, _b = two
    fill(a.course, residents(a.community, 2))
    before = snapshot(a)
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, capacity=1)
    assert refused.value.code == "capacity_below_taken"
    assert "2 places are already taken" in " ".join(refused.value.messages)
    assert snapshot(a) == before


def test_new_venue_moves_every_coming_meeting_and_its_booking_and_is_announced_once(
    two, django_capture_on_commit_callbacks
):
    a, b = two
    people = residents(a.community, 2)
    fill(a.course, people)
    before_b = snapshot(b)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_update(course=a.course, actor=a.staff, venue=a.spare_venue)
    assert set(Session.objects.filter(course=a.course).values_list("venue_id", flat=True)) == {a.spare_venue.pk}
    bookings = Booking.objects.filter(session__course=a.course)
    assert {(bk.venue_id, bk.status) for bk in bookings} == {(a.spare_venue.pk, BookingStatus.CONFIRMED)}
    assert bookings.count() == 3
    assert not Booking.objects.filter(venue=a.venue, status__in=["pending", "confirmed"]).exists()
    changed = Notice.objects.filter(purpose=Purpose.CLASS_CHANGED)
    assert sorted(changed.values_list("recipient_id", flat=True)) == sorted(p.pk for p in people)
    assert snapshot(b) == before_b


def test_new_slot_moves_the_meetings_to_the_new_weekday_in_the_same_week(two):
    a, _b = two
    old = list(Session.objects.filter(course=a.course).order_by("starts_at").values_list("starts_at", flat=True))
    wednesday = WeeklySlotFactory(code="wed-1400", weekday=2, start=time(14), end=time(15))
    services.course_update(course=a.course, actor=a.staff, slot=wednesday)
    new = list(Session.objects.filter(course=a.course).order_by("starts_at").values_list("starts_at", "ends_at"))
    assert [s - o for o, (s, _e) in zip(old, new, strict=True)] == [timedelta(days=2, hours=5)] * 3
    assert [e - s for s, e in new] == [timedelta(hours=1)] * 3
    assert list(Booking.objects.filter(session__course=a.course).order_by("starts_at").values_list("starts_at", flat=True)) == [
        s for s, _e in new
    ]


def test_a_clash_on_one_meeting_refuses_the_whole_move(two):
    a, b = two
    # The spare room is taken at the time of a's last meeting only.
    last = Session.objects.filter(course=a.course).order_by("-starts_at").first()
    Booking.objects.create(venue=a.spare_venue, starts_at=last.starts_at, ends_at=last.ends_at, purpose="其他活动")
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, venue=a.spare_venue)
    assert refused.value.code == "clash"
    assert snapshot(a) == before_a
    assert snapshot(b) == before_b


def test_a_teacher_busy_at_that_time_refuses_the_change(two):
    a, b = two
    before = snapshot(a)
    # b's teacher meets b's class on Mondays at 9, like a's: giving a's class to them clashes.
    with pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, teacher=b.course.teacher)
    assert refused.value.code == "clash"
    assert snapshot(a) == before
    free = TeacherFactory()
    services.course_update(course=a.course, actor=a.staff, teacher=free)
    assert Course.objects.get(pk=a.course.pk).teacher_id == free.pk


def test_another_communitys_staff_cannot_change_the_class(two):
    a, b = two
    before = snapshot(a)
    with pytest.raises(ScopeError):
        services.course_update(course=a.course, actor=b.staff, capacity=9)
    assert snapshot(a) == before


def test_a_cancelled_class_cannot_be_changed(two):
    a, _b = two
    services.course_cancel(course=a.course, actor=a.staff)
    with pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, capacity=9)
    assert refused.value.code == "course_not_changeable"


def test_course_cancel_frees_rooms_and_places_only_of_that_class(two, django_capture_on_commit_callbacks):
    a, b = two
    people = residents(a.community, 3)
    fill(a.course, people)
    fill(b.course, residents(b.community, 1))
    before_b = snapshot(b)
    with django_capture_on_commit_callbacks(execute=True):
        services.course_cancel(course=a.course, actor=a.staff)
    assert set(Registration.objects.filter(course=a.course).values_list("status", flat=True)) == {"cancelled"}
    assert set(Booking.objects.filter(session__course=a.course).values_list("status", flat=True)) == {"cancelled"}
    assert sorted(Notice.objects.filter(purpose=Purpose.CLASS_CANCELLED).values_list("recipient_id", flat=True)) == sorted(
        p.pk for p in people
    )
    assert snapshot(b) == before_b


def test_session_cancel_frees_its_room_and_tells_the_residents(two, django_capture_on_commit_callbacks):
    a, b = two
    people = residents(a.community, 2)
    fill(a.course, people)
    first, second, third = Session.objects.filter(course=a.course).order_by("starts_at")
    before_b = snapshot(b)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(session=second, actor=a.staff)
    assert [s.status for s in Session.objects.filter(course=a.course).order_by("starts_at")] == [
        SessionStatus.SCHEDULED, SessionStatus.CANCELLED, SessionStatus.SCHEDULED,
    ]
    assert Booking.objects.get(session=second).status == BookingStatus.CANCELLED
    assert Booking.objects.get(session=first).status == BookingStatus.CONFIRMED
    assert Notice.objects.filter(purpose=Purpose.CLASS_CHANGED).count() == 2
    with pytest.raises(ConflictError):
        services.session_cancel(session=second, actor=a.staff)
    assert snapshot(b) == before_b


def test_session_reschedule_moves_the_booking_or_nothing(two):
    a, b = two
    first = Session.objects.filter(course=a.course).order_by("starts_at").first()
    later = next_weekday(4, 15, weeks_ahead=1)
    services.session_reschedule(
        session=first, actor=a.staff, starts_at=later, ends_at=later + timedelta(hours=1), venue=a.spare_venue
    )
    booking = Booking.objects.get(session=first)
    assert (booking.venue_id, booking.starts_at, booking.status) == (a.spare_venue.pk, later, BookingStatus.CONFIRMED)
    # a's usual room at a's own second meeting is taken: moving the first meeting there is refused.
    taken = Session.objects.filter(course=a.course).order_by("starts_at")[1]
    before_a, before_b = snapshot(a), snapshot(b)
    with pytest.raises(ConflictError) as refused:
        services.session_reschedule(
            session=first, actor=a.staff, starts_at=taken.starts_at, ends_at=taken.ends_at, venue=a.venue
        )
    assert refused.value.code == "clash"
    # Another community's room is not a's to book.
    with pytest.raises(ScopeError):
        services.session_reschedule(
            session=first, actor=a.staff, starts_at=later, ends_at=later + timedelta(hours=1), venue=b.venue
        )
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


def test_session_reschedule_into_the_past_is_refused(two):
    a, _b = two
    first = Session.objects.filter(course=a.course).order_by("starts_at").first()
    past = next_weekday(0, 9, weeks_ahead=-1)
    with pytest.raises(ConflictError) as refused:
        services.session_reschedule(session=first, actor=a.staff, starts_at=past, ends_at=past + timedelta(hours=1))
    assert refused.value.code == "past"
    assert Session.objects.get(pk=first.pk).starts_at == first.starts_at
    assert Course.objects.get(pk=a.course.pk).status == CourseStatus.OPEN
