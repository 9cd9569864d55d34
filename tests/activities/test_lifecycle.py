"""Meetings become held, classes close when over, terms follow their dates; one definition of "held"."""

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services
from activities.enums import CourseStatus, RegistrationStatus, SessionStatus, TermStatus
from activities.models import Course, Registration, Session, Term, held_q
from activities.selectors import programme_figures
from activities.tasks import advance_lifecycle
from community_college.errors import ConflictError
from dashboards.selectors import held_q as dashboards_held_q
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import TermFactory
from venues.enums import BookingStatus
from venues.models import Booking

from .classes import make_side, residents

# Notices are sent in-process even when REDIS_URL is set for the PostgreSQL run.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def move_into_past(course, weeks: int = 1):
    """Every meeting of `course` shifted so that the last one ended before now."""
    last = Session.objects.filter(course=course).order_by("-ends_at").first()
    shift = last.ends_at - timezone.now() + timedelta(weeks=weeks)
    for session in Session.objects.filter(course=course):
        Session.objects.filter(pk=session.pk).update(starts_at=session.starts_at - shift, ends_at=session.ends_at - shift)


def test_a_meeting_ending_exactly_now_is_held_for_every_reader_and_for_the_task():
    side = make_side(meetings=2)
    first = Session.objects.filter(course=side.course).order_by("starts_at").first()
    now = timezone.now().replace(microsecond=0)
    Session.objects.filter(pk=first.pk).update(starts_at=now - timedelta(hours=1), ends_at=now)
    assert list(Session.objects.filter(held_q(now=now)).values_list("pk", flat=True)) == [first.pk]
    assert list(Session.objects.filter(dashboards_held_q(now=now)).values_list("pk", flat=True)) == [first.pk]
    assert services.sessions_mark_held(now=now) == 1
    assert list(Session.objects.filter(status=SessionStatus.HELD).values_list("pk", flat=True)) == [first.pk]
    assert list(Session.objects.filter(held_q(now=now)).values_list("pk", flat=True)) == [first.pk]


def test_home_page_figure_counts_held_as_the_task_marks_them():
    side = make_side(meetings=1, past=2)
    other = make_side(meetings=2)
    assert programme_figures()["activities_held"] == 2
    services.sessions_mark_held()
    assert Session.objects.filter(course=side.course, status=SessionStatus.HELD).count() == 2
    assert Session.objects.filter(course=other.course, status=SessionStatus.HELD).count() == 0


def test_the_beat_task_closes_a_finished_class_and_releases_its_waiting_list(django_capture_on_commit_callbacks):
    finished, running = make_side(capacity=1), make_side(capacity=1)
    taken, waiting = residents(finished.community, 2)
    regs = [services.registration_create(course=finished.course, resident=r) for r in (taken, waiting)]
    other_regs = [services.registration_create(course=running.course, resident=r) for r in residents(running.community, 2)]
    move_into_past(finished.course)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = advance_lifecycle.apply().get()
    assert outcome["courses_closed"] == 1
    assert Course.objects.get(pk=finished.course.pk).status == CourseStatus.CLOSED
    assert [Registration.objects.get(pk=r.pk).status for r in regs] == [
        RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED,
    ]
    assert list(Notice.objects.filter(purpose=Purpose.REGISTRATION_CANCELLED).values_list("recipient_id", flat=True)) == [
        waiting.pk
    ]
    assert set(Session.objects.filter(course=finished.course).values_list("status", flat=True)) == {SessionStatus.HELD}
    # The running class is untouched, and running the task again does nothing more.
    assert Course.objects.get(pk=running.course.pk).status == CourseStatus.OPEN
    assert [Registration.objects.get(pk=r.pk).status for r in other_regs] == ["confirmed", "waitlisted"]
    assert advance_lifecycle.apply().get() == {"sessions_held": 0, "terms_changed": 0, "courses_closed": 0}


def test_a_class_whose_term_ended_closes_and_calls_off_what_was_left():
    ended = TermFactory(starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 6, 30))
    over, running = make_side(term=ended), make_side()
    services.lifecycle_advance()
    assert Course.objects.get(pk=over.course.pk).status == CourseStatus.CLOSED
    assert set(Session.objects.filter(course=over.course).values_list("status", flat=True)) == {SessionStatus.CANCELLED}
    assert set(Booking.objects.filter(session__course=over.course).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }
    assert Course.objects.get(pk=running.course.pk).status == CourseStatus.OPEN
    assert Term.objects.get(pk=ended.pk).status == TermStatus.ENDED


def test_a_class_without_any_meeting_yet_stays_open():
    side = make_side(meetings=0)
    services.lifecycle_advance()
    assert Course.objects.get(pk=side.course.pk).status == CourseStatus.OPEN


def test_terms_follow_their_dates():
    today = timezone.localdate()
    past = TermFactory(starts_on=today - timedelta(days=200), ends_on=today - timedelta(days=1))
    now = TermFactory(starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=100))
    later = TermFactory(starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=100))
    services.terms_advance()
    assert [Term.objects.get(pk=t.pk).status for t in (past, now, later)] == [
        TermStatus.ENDED, TermStatus.RUNNING, TermStatus.UPCOMING,
    ]


@pytest.mark.parametrize("how", ["closed", "no_meeting_left", "term_ended"])
def test_a_closed_or_past_class_takes_no_registration(how):
    side, other = make_side(), make_side()
    if how == "closed":
        services.course_close(course=side.course, actor=side.staff)
    elif how == "no_meeting_left":
        move_into_past(side.course)
    else:
        Term.objects.filter(pk=side.course.term_id).update(ends_on=timezone.localdate() - timedelta(days=1))
    (resident,) = residents(side.community, 1)
    with pytest.raises(ConflictError) as refused:
        services.registration_create(course=Course.objects.get(pk=side.course.pk), resident=resident)
    assert refused.value.code in {"course_closed", "course_past"}
    assert not Registration.objects.filter(resident=resident).exists()
    assert services.registration_create(course=other.course, resident=resident).status == RegistrationStatus.CONFIRMED
