"""The course-change helpers lock the class's (or the meeting's) own row, not the rows joined to it
(issue 23): `select_for_update(of=("self",))` in `_lock_course_for_change` and `_lock_session_for_change`.
SQLite writes no row locks, so the lock's scope is asserted on PostgreSQL (the whole suite's CI database);
on SQLite the same calls must write no FOR UPDATE at all. Two classes: the other is untouched."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from activities import services
from activities.models import Course
from community_college.errors import ConflictError, ScopeError
from tests.factories.venues import BookingFactory

from .classes import make_side, next_weekday
from .test_course_changes import snapshot

# Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _locking_reads(ctx, table):
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def test_course_update_locks_the_class_row_and_not_its_venue_slot_or_teacher():
    a, b = make_side(), make_side()
    before_b = snapshot(b)
    with CaptureQueriesContext(connection) as ctx:
        services.course_update(course=a.course, actor=a.staff, capacity=5)
    first = _locking_reads(ctx, "activities_course")[0]
    # One read of the class with its venue, slot and teacher joined, the lock on the class's row only.
    for table in ("venues_venue", "activities_weeklyslot", "teachers_teacher"):
        assert f'JOIN "{table}"' in first, table
    if connection.vendor == "postgresql":
        assert first.endswith('FOR UPDATE OF "activities_course"')
    else:
        assert "FOR UPDATE" not in first
    assert a.course.capacity == 5
    assert snapshot(b) == before_b


def test_another_communitys_staff_may_not_change_the_class_and_are_told_why():
    a, b = make_side(), make_side()
    before_a, before_b = snapshot(a), snapshot(b)
    with translation.override("en"), pytest.raises(ScopeError) as refused:
        services.course_update(course=a.course, actor=b.staff, capacity=9)
    assert (refused.value.messages, refused.value.code) == (
        ["This class belongs to another community."],
        "scope",
    )
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


@pytest.mark.parametrize("change", ["reschedule", "cancel"])
def test_a_meeting_change_locks_the_meeting_row_and_not_its_class_or_venue(change):
    a, b = make_side(), make_side()
    before_b = snapshot(b)
    meeting = a.sessions[1]
    later = next_weekday(3, 15)
    with CaptureQueriesContext(connection) as ctx:
        if change == "reschedule":
            services.session_reschedule(
                session=meeting, actor=a.staff, starts_at=later, ends_at=later + timedelta(hours=1)
            )
        else:
            services.session_cancel(session=meeting, actor=a.staff)
    first = _locking_reads(ctx, "activities_session")[0]
    # The meeting is read with its class and its room (the move and the booking need both): one query.
    assert 'JOIN "activities_course"' in first and 'JOIN "venues_venue"' in first
    if connection.vendor == "postgresql":
        assert first.endswith('FOR UPDATE OF "activities_session"')
    else:
        assert "FOR UPDATE" not in first
    assert snapshot(b) == before_b


def test_a_teachers_clash_is_read_with_its_class_in_one_query(django_assert_num_queries):
    """The refusal names the other class: `_teacher_clash` reads the meeting with its class (one query), and
    the meeting of that teacher, not of another teacher busy at the same time."""
    a, b = make_side(), make_side()
    first = a.sessions[0]
    mine, other = (_teacher_meeting_at(b, first.starts_at, first.ends_at) for _ in range(2))
    # 1. SELECT the teacher's other live meeting at that time, with its class
    with django_assert_num_queries(1):
        clash = services._teacher_clash(
            teacher_id=mine.pk,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            exclude_course_id=a.course.pk,
        )
        title = clash.course.title
    assert (clash.course.teacher_id, title) == (mine.pk, f"班{mine.pk}")
    # Through course_update: the whole change is refused, naming the meeting's own date and the other class.
    before_a, before_b = snapshot(a), snapshot(b)
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, teacher=mine)
    when = f"{timezone.localtime(first.starts_at):%Y-%m-%d %H:%M}"
    assert (refused.value.messages, refused.value.code) == (
        [f"Nothing was changed: the meeting of {when} clashes (the teacher has 班{mine.pk} then)."],
        "clash",
    )
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)
    assert Course.objects.get(pk=a.course.pk).teacher_id not in (mine.pk, other.pk)


def _teacher_meeting_at(side, starts_at, ends_at):
    from activities.models import Session
    from tests.factories import CourseFactory, TeacherFactory

    teacher = TeacherFactory()
    course = CourseFactory(community=side.community, teacher=teacher, title=f"班{teacher.pk}")
    Session.objects.create(
        course=course, venue=None, starts_at=starts_at, ends_at=ends_at, capacity=course.capacity
    )
    return teacher


def test_a_room_taken_at_one_meeting_refuses_the_move_naming_that_meeting_and_the_room():
    a, b = make_side(), make_side()
    second = a.sessions[1]
    BookingFactory(venue=a.spare_venue, starts_at=second.starts_at, ends_at=second.ends_at)
    before_a, before_b = snapshot(a), snapshot(b)
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        services.course_update(course=a.course, actor=a.staff, venue=a.spare_venue)
    when = f"{timezone.localtime(second.starts_at):%Y-%m-%d %H:%M}"
    assert (refused.value.messages, refused.value.code) == (
        [
            f"Nothing was changed: the meeting of {when} clashes ({a.spare_venue.name} is already booked at that time.)."
        ],
        "clash",
    )
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)
