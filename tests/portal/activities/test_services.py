"""The reads and writes this part of the portal added or fixed: queue positions, the status block's state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course
from activities.selectors import registration_state
from tests.factories import CourseFactory, RegistrationFactory, ResidentFactory


@pytest.mark.django_db
def test_waitlist_position_breaks_ties_on_time_by_id():
    """Two residents who joined in the same microsecond are 1st and 2nd, as promotion serves them."""
    course = CourseFactory(capacity=1)
    same = timezone.now()
    first = RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED, created=same)
    second = RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED, created=same)
    earlier = RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED, created=same - timedelta(seconds=1))
    assert [services.waitlist_position(registration=r) for r in (earlier, first, second)] == [1, 2, 3]


@pytest.mark.django_db
def test_registration_state_counts_the_queue_and_refreshes_the_class():
    course = CourseFactory(capacity=2)
    resident = ResidentFactory()
    services.registration_create(course=course, resident=ResidentFactory())
    services.registration_create(course=course, resident=ResidentFactory())
    services.registration_create(course=course, resident=ResidentFactory())
    mine = services.registration_create(course=course, resident=resident)
    stale = Course.objects.get(pk=course.pk)
    stale.confirmed_count = 0  # as a page would hold it from before the rush
    state = registration_state(course=stale, user=resident)
    assert (state.registration.pk, state.status, state.position, state.waiting, state.free_places, state.is_open) == (
        mine.pk,
        "waitlisted",
        2,
        2,
        0,
        True,
    )
    assert stale.confirmed_count == 2


@pytest.mark.django_db
def test_registration_state_of_a_visitor_and_of_a_cancelled_registration():
    from django.contrib.auth.models import AnonymousUser

    course = CourseFactory(capacity=2, status=CourseStatus.CLOSED)
    resident = ResidentFactory()
    cancelled = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CANCELLED)
    visitor = registration_state(course=course, user=AnonymousUser())
    assert (visitor.registration, visitor.position, visitor.waiting, visitor.is_open) == (None, None, 0, False)
    known = registration_state(course=course, user=resident, registration=cancelled)
    assert known.registration is None
