import threading

import pytest
from django.db import IntegrityError, connection, transaction

from activities import services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course, Registration
from community_college.errors import ConflictError, ScopeError
from tests.factories import CommunityFactory, CourseFactory, ResidentFactory, StaffFactory


def _residents(n, community):
    return [ResidentFactory(profile__community=community) for _ in range(n)]


@pytest.mark.django_db
def test_registration_fills_places_then_waitlists():
    course = CourseFactory(capacity=2)
    people = _residents(3, course.community)
    regs = [services.registration_create(course=course, resident=p) for p in people]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted"]
    course.refresh_from_db()
    assert course.confirmed_count == 2
    assert services.waitlist_position(registration=regs[2]) == 1


@pytest.mark.django_db
def test_registration_over_capacity_is_refused_by_the_database():
    course = CourseFactory(capacity=1)
    services.registration_create(course=course, resident=ResidentFactory(profile__community=course.community))
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(confirmed_count=2)


@pytest.mark.django_db
def test_registration_twice_returns_the_same_registration():
    course = CourseFactory(capacity=5)
    resident = ResidentFactory(profile__community=course.community)
    first = services.registration_create(course=course, resident=resident)
    second = services.registration_create(course=course, resident=resident)
    assert first.pk == second.pk
    assert Registration.objects.filter(course=course).count() == 1
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db
def test_registration_two_live_rows_are_refused_by_the_database():
    course = CourseFactory(capacity=5)
    resident = ResidentFactory(profile__community=course.community)
    Registration.objects.create(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)


@pytest.mark.django_db
def test_registration_cancel_promotes_the_first_waiting():
    course = CourseFactory(capacity=1)
    a, b, c = _residents(3, course.community)
    ra = services.registration_create(course=course, resident=a)
    rb = services.registration_create(course=course, resident=b)
    rc = services.registration_create(course=course, resident=c)
    promoted = services.registration_cancel(registration=ra, actor=a)
    assert promoted.pk == rb.pk
    rb.refresh_from_db()
    rc.refresh_from_db()
    assert (rb.status, rc.status) == ("confirmed", "waitlisted")
    assert services.waitlist_position(registration=rc) == 1
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db
def test_registration_cancel_of_waiting_keeps_places():
    course = CourseFactory(capacity=1)
    a, b = _residents(2, course.community)
    services.registration_create(course=course, resident=a)
    rb = services.registration_create(course=course, resident=b)
    assert services.registration_cancel(registration=rb, actor=b) is None
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db
def test_registration_cancel_by_another_resident_is_refused():
    course = CourseFactory(capacity=1)
    a, b = _residents(2, course.community)
    ra = services.registration_create(course=course, resident=a)
    with pytest.raises(ScopeError):
        services.registration_cancel(registration=ra, actor=b)
    ra.refresh_from_db()
    assert ra.status == "confirmed"


@pytest.mark.django_db
def test_registration_by_staff_of_another_community_is_refused():
    course = CourseFactory(capacity=3)
    staff = StaffFactory(community=CommunityFactory())
    with pytest.raises(ScopeError):
        services.registration_create(course=course, resident=ResidentFactory(profile__community=course.community), placed_by=staff)
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_registration_for_a_closed_class_is_refused():
    course = CourseFactory(capacity=3, status=CourseStatus.CLOSED)
    with pytest.raises(ConflictError) as excinfo:
        services.registration_create(course=course, resident=ResidentFactory(profile__community=course.community))
    assert excinfo.value.code == "course_closed"


@pytest.mark.django_db(transaction=True)
def test_registration_concurrent_residents_never_oversell(on_postgres):
    """Twelve residents take the last five places at the same moment, each in its own connection."""
    course = CourseFactory(capacity=5)
    people = _residents(12, course.community)
    barrier = threading.Barrier(len(people))
    errors = []

    def register(person):
        try:
            barrier.wait()
            services.registration_create(course=course, resident=person)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    course.refresh_from_db()
    statuses = sorted(Registration.objects.filter(course=course).values_list("status", flat=True))
    assert statuses.count("confirmed") == 5 == course.confirmed_count
    assert statuses.count("waitlisted") == 7
