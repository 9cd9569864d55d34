"""The beat task's choice of rows: which meetings become held, which classes close, which terms get certificates.

Each class below differs from a finished one in exactly one respect, and the clock the task is given (`later`)
is two months ahead of the real one: a rule that reads the wrong clock, or drops one condition of "finished",
closes (or spares) a class it must not. Found by mutation testing (issue 23).
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services
from activities.enums import CourseStatus, SessionStatus, TermStatus
from activities.models import Course, Session, Term
from ops.models import OutboxMessage
from tests.factories import CourseFactory, TermFactory

pytestmark = pytest.mark.django_db

CERTIFICATES = "activities.tasks.issue_term_certificates"


def meeting(course, starts_at, status=SessionStatus.SCHEDULED):
    return Session.objects.create(
        course=course,
        venue=None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        capacity=course.capacity,
        status=status,
    )


@pytest.fixture
def town():
    """`later` is the task's clock; each class is named after what it has."""
    later = timezone.now().replace(microsecond=0) + timedelta(days=60)
    long_term = TermFactory(
        starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2030, 1, 31), status=TermStatus.RUNNING
    )
    # Ends between the real today and the task's today: ended for the task only.
    short_term = TermFactory(
        starts_on=dt.date(2026, 9, 1),
        ends_on=timezone.localdate() + timedelta(days=30),
        status=TermStatus.RUNNING,
    )
    classes = {
        name: CourseFactory(term=long_term)
        for name in ("over", "more_to_come", "rest_called_off", "only_called_off", "no_meeting")
    }
    classes["term_over"] = CourseFactory(term=short_term)
    classes["already_closed"] = CourseFactory(term=long_term, status=CourseStatus.CLOSED)
    last_week = later - timedelta(days=2)
    # Over for the task, still to come for the real clock, and not yet marked held.
    meeting(classes["over"], last_week)
    meeting(classes["more_to_come"], last_week)
    meeting(classes["more_to_come"], later + timedelta(days=7))
    meeting(classes["rest_called_off"], last_week)
    meeting(classes["rest_called_off"], later + timedelta(days=7), status=SessionStatus.CANCELLED)
    meeting(classes["only_called_off"], last_week, status=SessionStatus.CANCELLED)
    meeting(classes["term_over"], later + timedelta(days=7))
    meeting(classes["already_closed"], last_week)
    return later, classes, short_term, long_term


def test_finished_classes_are_those_over_by_the_given_clock(town):
    later, classes, _short, _long = town
    finished = set(services.finished_courses(now=later).values_list("pk", flat=True))
    assert finished == {classes[name].pk for name in ("over", "rest_called_off", "term_over")}
    # By the real clock nothing is over yet.
    assert not services.finished_courses().exists()


def test_the_beat_task_closes_those_classes_only_and_counts_what_it_did(town):
    later, classes, short_term, long_term = town
    outcome = services.lifecycle_advance(now=later)
    # Held: the meetings of last week that were still scheduled (not the called-off one, nor the coming ones).
    assert outcome == {"sessions_held": 4, "terms_changed": 1, "courses_closed": 3}
    status = dict(Course.objects.values_list("pk", "status"))
    assert {name for name, course in classes.items() if status[course.pk] == CourseStatus.CLOSED} == {
        "over",
        "rest_called_off",
        "term_over",
        "already_closed",
    }
    assert {name for name, course in classes.items() if status[course.pk] == CourseStatus.OPEN} == {
        "more_to_come",
        "only_called_off",
        "no_meeting",
    }
    assert [Term.objects.get(pk=t.pk).status for t in (short_term, long_term)] == [
        TermStatus.ENDED,
        TermStatus.RUNNING,
    ]
    # The ended term's certificates are asked for, by its id, once.
    assert list(OutboxMessage.objects.filter(task_name=CERTIFICATES).values_list("args", flat=True)) == [
        [short_term.pk]
    ]
    # Run again: nothing more to do.
    assert services.lifecycle_advance(now=later) == {
        "sessions_held": 0,
        "terms_changed": 0,
        "courses_closed": 0,
    }


def test_registration_refusal_reads_the_given_clock_for_each_class_apart():
    """Why a class takes no one, by the clock given, for each class on its own."""
    from django.utils import translation

    later = timezone.now().replace(microsecond=0) + timedelta(days=60)
    long_term = TermFactory(starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2030, 1, 31))
    ends_on_the_day = TermFactory(starts_on=dt.date(2026, 9, 1), ends_on=timezone.localdate(later))
    ended_for_the_clock = TermFactory(
        starts_on=dt.date(2026, 9, 1), ends_on=timezone.localdate() + timedelta(days=30)
    )
    c = {
        name: CourseFactory(term=long_term)
        for name in ("behind", "ahead", "only_called_off", "rest_called_off", "starts_now", "no_meeting")
    }
    c["last_day"] = CourseFactory(term=ends_on_the_day)
    c["term_over"] = CourseFactory(term=ended_for_the_clock)
    meeting(c["behind"], later - timedelta(days=2))
    meeting(c["ahead"], later - timedelta(days=2))
    meeting(c["ahead"], later + timedelta(days=7))
    meeting(c["only_called_off"], later - timedelta(days=2), status=SessionStatus.CANCELLED)
    meeting(c["rest_called_off"], later - timedelta(days=2), status=SessionStatus.HELD)
    meeting(c["rest_called_off"], later + timedelta(days=7), status=SessionStatus.CANCELLED)
    meeting(c["starts_now"], later)
    meeting(c["last_day"], later + timedelta(hours=1))
    meeting(c["term_over"], later + timedelta(days=7))

    def why(course, now=later):
        # The message is translated when the refusal is made: ask in English to compare with the source text.
        with translation.override("en"):
            refusal = services.course_registration_refusal(course=course, now=now)
        return None if refusal is None else (refusal.code, str(refusal.messages[0]))

    no_meeting_left = ("course_past", "This class has no meeting left.")
    assert {name: why(course) for name, course in c.items()} == {
        "behind": no_meeting_left,
        "ahead": None,
        "only_called_off": None,
        "rest_called_off": no_meeting_left,
        "starts_now": no_meeting_left,
        "no_meeting": None,
        "last_day": None,
        "term_over": ("course_past", "This class's term has ended."),
    }
    # By the real clock the others still have their meetings ahead and their terms running.
    assert {name: why(course, now=None) for name, course in c.items()} == {
        **dict.fromkeys(c, None),
        "rest_called_off": no_meeting_left,
    }
    assert why(Course(pk=10**9)) is None


def test_a_class_is_closed_by_its_own_community_or_the_task_only():
    from community_college.errors import ScopeError
    from tests.factories.pairs import two_of_everything

    pair = two_of_everything()
    with pytest.raises(ScopeError) as refused:
        services.course_close(course=pair.a1, actor=pair.staff_b)
    assert refused.value.code == "scope"
    assert set(Course.objects.values_list("status", flat=True)) == {CourseStatus.OPEN}
    services.course_close(course=pair.a1, actor=pair.staff_a)
    services.course_close(course=pair.b1, actor=None)  # the beat task
    assert dict(Course.objects.values_list("pk", "status")) == {
        pair.a1.pk: CourseStatus.CLOSED,
        pair.a2.pk: CourseStatus.OPEN,
        pair.b1.pk: CourseStatus.CLOSED,
    }


def test_terms_advance_moves_each_wrong_status_once_and_counts_the_moves():
    today = timezone.localdate()
    day = timedelta(days=1)

    def term(starts, ends, status):
        return TermFactory(starts_on=today + starts * day, ends_on=today + ends * day, status=status)

    wrong = [
        term(-90, -1, TermStatus.RUNNING),
        term(-1, 90, TermStatus.UPCOMING),
        term(1, 90, TermStatus.RUNNING),
    ]
    right = [
        term(-90, -1, TermStatus.ENDED),
        term(-1, 90, TermStatus.RUNNING),
        term(1, 90, TermStatus.UPCOMING),
    ]
    assert services.terms_advance(today=today) == 3
    expected = [TermStatus.ENDED, TermStatus.RUNNING, TermStatus.UPCOMING]
    assert [Term.objects.get(pk=t.pk).status for t in wrong] == expected
    assert [Term.objects.get(pk=t.pk).status for t in right] == expected
    assert services.terms_advance(today=today) == 0
