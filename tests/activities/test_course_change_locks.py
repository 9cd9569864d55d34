"""The course-change helpers lock the class's (or the meeting's) own row, not the rows joined to it
(issue 23): `select_for_update(of=("self",))` in `_lock_course_for_change` and `_lock_session_for_change`.
SQLite writes no row locks, so the lock's scope is asserted on PostgreSQL (the whole suite's CI database);
on SQLite the same calls must write no FOR UPDATE at all. Two classes: the other is untouched."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities import services

from .classes import make_side, next_weekday
from .test_course_changes import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_celery():
    """Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


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
    assert 'JOIN "venues_venue"' in first
    if connection.vendor == "postgresql":
        assert first.endswith('FOR UPDATE OF "activities_course"')
    else:
        assert "FOR UPDATE" not in first
    assert a.course.capacity == 5
    assert snapshot(b) == before_b


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
    assert 'JOIN "activities_course"' in first
    if connection.vendor == "postgresql":
        assert first.endswith('FOR UPDATE OF "activities_session"')
    else:
        assert "FOR UPDATE" not in first
    assert snapshot(b) == before_b
