"""Registration notices (confirmed, waiting list, moved up, cancelled) and class changed / cancelled."""

from datetime import timedelta

import pytest

from activities import services as activity_services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Registration
from notices import hooks
from notices.enums import Purpose
from notices.models import Notice
from notices.tasks import notify_course
from tests.factories import CourseFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(place, clock):
    course = CourseFactory(
        title="太极拳初级班", category=place.taiji, community=place.community, capacity=1, slot=place.slot
    )
    SessionFactory(course=course, starts_at=clock.now + timedelta(days=6, hours=-1))
    return course


def _purposes(user):
    return list(Notice.objects.filter(recipient=user).order_by("id").values_list("purpose", flat=True))


def test_confirmed_and_waitlisted_with_position(course, make_resident, committed, sms_outbox):
    first, second = make_resident(language="en"), make_resident(language="en")
    with committed():
        for resident in (first, second):
            registration = activity_services.registration_create(course=course, resident=resident)
            hooks.registration_changed(registration.pk, registration.status)
    assert _purposes(first) == [Purpose.REGISTRATION_CONFIRMED]
    assert _purposes(second) == [Purpose.REGISTRATION_WAITLISTED]
    waiting = Notice.objects.get(recipient=second)
    assert "You are number 1 on its waiting list" in waiting.body
    assert Notice.objects.get(recipient=first).title == "Your place is confirmed: 太极拳初级班"
    assert len(sms_outbox) == 2


def test_moving_up_from_the_waiting_list_is_announced(course, make_resident, committed):
    first, second = make_resident(language="en"), make_resident(language="en")
    registration = activity_services.registration_create(course=course, resident=first)
    activity_services.registration_create(course=course, resident=second)
    with committed():
        promoted = activity_services.registration_cancel(registration=registration, actor=first)
        hooks.registration_changed(registration.pk, "cancelled")
        hooks.registration_changed(promoted.pk, "promoted")
    assert _purposes(second) == [Purpose.REGISTRATION_PROMOTED]
    assert _purposes(first) == [Purpose.REGISTRATION_CANCELLED]
    assert Notice.objects.get(recipient=second).title == "A place is free for you: 太极拳初级班"


def test_a_notice_no_longer_true_is_not_sent(course, make_resident, committed):
    resident = make_resident()
    registration = activity_services.registration_create(course=course, resident=resident)
    assert registration.status == RegistrationStatus.CONFIRMED
    with committed():
        hooks.registration_changed(registration.pk, "waitlisted")  # stale: the resident has a place
    assert _purposes(resident) == []


def test_unknown_kind_fails_in_the_caller():
    with pytest.raises(ValueError):
        hooks.registration_changed(1, "moved")


def test_class_changed_reaches_everyone_registered_once_per_change(course, make_resident, committed, clock):
    confirmed, waiting, gone = make_resident(), make_resident(), make_resident()
    Registration.objects.create(course=course, resident=confirmed, status=RegistrationStatus.CONFIRMED)
    Registration.objects.create(course=course, resident=waiting, status=RegistrationStatus.WAITLISTED)
    Registration.objects.create(
        course=course,
        resident=gone,
        status=RegistrationStatus.CANCELLED,
        status_changed=clock.now - timedelta(days=3),
    )
    with committed():
        hooks.course_changed(course.pk, "changed")
    assert Notice.objects.filter(purpose=Purpose.CLASS_CHANGED).count() == 2
    assert _purposes(gone) == []
    # The same change delivered twice is one notice; a later change is another.

    notify_course.delay(course.pk, "changed", clock.now.isoformat())  # the hook's message, redelivered
    assert Notice.objects.filter(purpose=Purpose.CLASS_CHANGED).count() == 2
    clock.advance(hours=1)
    with committed():
        hooks.course_changed(course.pk, "changed")
    assert Notice.objects.filter(purpose=Purpose.CLASS_CHANGED, recipient=confirmed).count() == 2


def test_class_cancelled_reaches_those_whose_places_the_cancellation_removed(
    course, make_resident, committed, clock
):
    confirmed, long_gone = make_resident(language="en"), make_resident()
    registration = Registration.objects.create(
        course=course, resident=confirmed, status=RegistrationStatus.CONFIRMED
    )
    Registration.objects.create(
        course=course,
        resident=long_gone,
        status=RegistrationStatus.CANCELLED,
        status_changed=clock.now - timedelta(days=3),
    )
    with committed():
        # What a course-cancelling service does in one transaction: the course, then its registrations.
        course.status = CourseStatus.CANCELLED
        course.save(update_fields=["status"])
        Registration.objects.filter(pk=registration.pk).update(
            status=RegistrationStatus.CANCELLED, status_changed=clock.now
        )
        hooks.course_changed(course.pk, "cancelled")
    notice = Notice.objects.get(purpose=Purpose.CLASS_CANCELLED)
    assert (notice.recipient, notice.title) == (confirmed, "Class cancelled: 太极拳初级班")
    assert _purposes(long_gone) == []
