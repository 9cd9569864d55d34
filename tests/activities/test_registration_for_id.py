"""`registration_create_for`: a resident's own registration for a class known by its id, the portal's and the
API's hot path. On PostgreSQL the registration statement reads the class itself (activities/registration_sql.py),
so what the separate read and `registration_create` decided before is decided there: the same refusals, the
priority window, no such class for a proposed one, the class as the write left it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from activities import priority, services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course, PriorityPass, Registration
from community_college.errors import ConflictError
from ops.models import OutboxMessage
from tests.factories import CourseFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _resident(course):
    return ResidentFactory(profile__community=course.community)


def test_the_class_comes_back_with_the_registration():
    course = CourseFactory(capacity=1, title="太极拳入门")
    first, second = _resident(course), _resident(course)
    attempt = services.registration_create_for(course_id=course.pk, resident=first)
    assert attempt.refusal is None
    assert (attempt.course.pk, attempt.course.title, attempt.course.community_id) == (
        course.pk,
        "太极拳入门",
        course.community_id,
    )
    assert attempt.registration.status == RegistrationStatus.CONFIRMED
    again = services.registration_create_for(course_id=course.pk, resident=second)
    assert again.registration.status == RegistrationStatus.WAITLISTED
    assert Registration.objects.get(pk=again.registration.pk).resident_id == second.pk
    if connection.vendor == "postgresql":
        # The statement's own counts, under the class's lock: the page needs no second read.
        assert (attempt.course.confirmed_count, again.course.confirmed_count) == (1, 1)
        assert (again.registration.queue.waiting, again.registration.queue.position) == (1, 1)


def test_a_double_click_answers_with_the_live_registration_and_the_class():
    course = CourseFactory(capacity=5)
    resident = _resident(course)
    first = services.registration_create_for(course_id=course.pk, resident=resident)
    again = services.registration_create_for(course_id=course.pk, resident=resident)
    assert (again.registration.pk, again.course.pk, again.refusal) == (first.registration.pk, course.pk, None)
    assert Registration.objects.filter(course=course).count() == 1


@pytest.mark.parametrize("calendar_token", [True, False])
def test_the_residents_calendar_token_comes_with_the_class_when_asked(calendar_token):
    course = CourseFactory(capacity=5)
    resident = _resident(course)
    attempt = services.registration_create_for(
        course_id=course.pk, resident=resident, calendar_token=calendar_token
    )
    if calendar_token:
        assert attempt.course.my_calendar_token == resident.profile.calendar_token != ""
    else:
        assert not hasattr(attempt.course, "my_calendar_token")


def test_no_class_and_a_proposed_class_are_no_such_class():
    course = CourseFactory(capacity=5, status=CourseStatus.PROPOSED)
    resident = _resident(course)
    with pytest.raises(Course.DoesNotExist):
        services.registration_create_for(course_id=course.pk, resident=resident)
    with pytest.raises(Course.DoesNotExist):
        services.registration_create_for(course_id=course.pk + 1000, resident=resident)
    with pytest.raises(Course.DoesNotExist):
        services.registration_create_for(course_id=2**63, resident=resident)  # beyond the column's range
    assert not Registration.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_closed_class_is_refused_with_the_class_and_nothing_written():
    course = CourseFactory(capacity=5, status=CourseStatus.CLOSED, title="书法")
    attempt = services.registration_create_for(course_id=course.pk, resident=_resident(course))
    assert (attempt.registration, attempt.refusal.code, attempt.course.title) == (
        None,
        "course_closed",
        "书法",
    )
    assert not Registration.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_before_the_opening_only_a_pass_within_its_days_registers():
    opens_at = timezone.now() + timedelta(days=2)
    course = CourseFactory(capacity=5, registration_opens_at=opens_at)
    holder, near, far, other = (_resident(course) for _ in range(4))
    PriorityPass.objects.create(holder=holder, course=course, days_early=3, reason="礼遇")
    PriorityPass.objects.create(
        holder=far, course=course, days_early=1, reason="礼遇"
    )  # opens a day too late
    elsewhere = CourseFactory(capacity=5, community=course.community)
    PriorityPass.objects.create(holder=near, course=elsewhere, days_early=3, reason="礼遇")  # another class's
    for resident in (other, far, near):
        with translation.override("en"):
            attempt = services.registration_create_for(course_id=course.pk, resident=resident)
        assert (attempt.registration, attempt.refusal.code) == (None, "registration_not_open")
        # The same words as registration_create's refusal.
        with translation.override("en"):
            assert attempt.refusal.messages == priority.not_open(opens_at).messages
    assert (
        services.registration_create_for(course_id=course.pk, resident=holder).registration.status
        == "confirmed"
    )
    assert list(Registration.objects.values_list("resident_id", flat=True)) == [holder.pk]
    # Once registration opens, everyone may register.
    Course.objects.filter(pk=course.pk).update(registration_opens_at=timezone.now() - timedelta(minutes=1))
    assert (
        services.registration_create_for(course_id=course.pk, resident=other).registration.status
        == "confirmed"
    )


def test_a_refusal_before_the_opening_comes_before_a_live_registration():
    # As registration_create: the window is checked first, even for a resident already registered (staff
    # placed them, then the opening was moved later).
    course = CourseFactory(capacity=5)
    resident = _resident(course)
    services.registration_create_for(course_id=course.pk, resident=resident)
    Course.objects.filter(pk=course.pk).update(registration_opens_at=timezone.now() + timedelta(days=1))
    attempt = services.registration_create_for(course_id=course.pk, resident=resident)
    assert (attempt.registration, attempt.refusal.code) == (None, "registration_not_open")
    with pytest.raises(ConflictError) as excinfo:
        services.registration_create(course=Course.objects.get(pk=course.pk), resident=resident)
    assert excinfo.value.code == "registration_not_open"


def test_the_statement_reads_the_class_itself_on_postgresql(django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the lean path is PostgreSQL's")
    from activities import registration_sql

    course = CourseFactory(capacity=5)
    resident = _resident(course)
    registration_sql.ids.give_back(registration_sql.reserve_id())  # this process's ids, reserved before
    # The registration statement alone (its PREPARE, once per connection, is not a round trip of its own
    # worth counting here: prepared earlier by the first registration of the test run, or now).
    services.registration_create_for(course_id=CourseFactory(capacity=5).pk, resident=_resident(course))
    registration_sql.ids.give_back(registration_sql.reserve_id())
    with django_assert_num_queries(1):
        attempt = services.registration_create_for(course_id=course.pk, resident=resident)
    assert attempt.registration.status == "confirmed"


def test_sent_as_text_behind_pgbouncer_the_statement_answers_the_same(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the lean path is PostgreSQL's")
    settings.DATABASE_POOLER = "pgbouncer"  # community_college/prepared.py: no PREPARE, the statement's text
    opens_at = timezone.now() + timedelta(days=1)
    course = CourseFactory(capacity=1, title="二胡", registration_opens_at=opens_at)
    holder, other = _resident(course), _resident(course)
    PriorityPass.objects.create(holder=holder, course=course, days_early=2, reason="礼遇")
    attempt = services.registration_create_for(course_id=course.pk, resident=holder, calendar_token=True)
    assert (attempt.registration.status, attempt.course.title, attempt.course.confirmed_count) == (
        "confirmed",
        "二胡",
        1,
    )
    assert attempt.course.my_calendar_token == holder.profile.calendar_token
    assert (
        services.registration_create_for(course_id=course.pk, resident=other).refusal.code
        == "registration_not_open"
    )
