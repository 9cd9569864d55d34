import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from activities import registration_sql, services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course, Registration
from community_college.errors import ConflictError, ScopeError
from ops.models import OutboxMessage
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


def _naive_registration_create(*, course, resident):
    """The negative control: read the places taken, decide in Python, write back (read-modify-write)."""
    with transaction.atomic():
        taken = Course.objects.values_list("confirmed_count", flat=True).get(pk=course.pk)
        time.sleep(0.05)  # the moment in which the other requests slip in
        status = RegistrationStatus.CONFIRMED if taken < course.capacity else RegistrationStatus.WAITLISTED
        if status == RegistrationStatus.CONFIRMED:
            Course.objects.filter(pk=course.pk).update(confirmed_count=taken + 1)
        return Registration.objects.create(course=course, resident=resident, status=status)


def _at_once(target, args_list):
    barrier = threading.Barrier(len(args_list))
    results, errors = [], []

    def work(*args):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results.append(target(*args))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("guarded", [True, False], ids=["service", "naive"])
def test_registration_concurrent_residents_never_oversell(on_postgres, guarded):
    """Twelve residents take the last five places at the same moment, each in its own connection; the naive
    read-modify-write version, run the same way, oversells (so the test can see the race)."""
    course = CourseFactory(capacity=5)
    people = _residents(12, course.community)
    register = services.registration_create if guarded else _naive_registration_create
    _, errors = _at_once(lambda p: register(course=course, resident=p), [(p,) for p in people])
    assert errors == []
    course.refresh_from_db()
    statuses = sorted(Registration.objects.filter(course=course).values_list("status", flat=True))
    if guarded:
        assert statuses.count("confirmed") == 5 == course.confirmed_count
        assert statuses.count("waitlisted") == 7
    else:
        assert statuses.count("confirmed") > 5
        assert course.confirmed_count < statuses.count("confirmed")


@pytest.mark.django_db(transaction=True)
def test_registration_rush_answers_true_positions_and_writes_history_and_notices(on_postgres, monkeypatch):
    """What each request is told (its place, its position in the queue) is what the rows say afterwards;
    each registration has its history row, and its notice left the outbox once committed."""
    registration_sql.published.take()  # ids that earlier tests' registrations left waiting
    course = CourseFactory(capacity=3)
    other = CourseFactory(community=course.community, capacity=3)
    people = _residents(12, course.community)
    returned, errors = _at_once(
        lambda p: services.registration_create(course=course, resident=p), [(p,) for p in people]
    )
    assert errors == []
    live = {r.pk: r for r in Registration.objects.filter(course=course)}
    assert sorted(r.pk for r in returned) == sorted(live)
    queue = sorted((r for r in live.values() if r.status == "waitlisted"), key=lambda r: (r.created, r.pk))
    true_position = {r.pk: i for i, r in enumerate(queue, start=1)}
    for registration in returned:
        assert registration.status == live[registration.pk].status
        told = registration.queue.position if registration.queue is not None else None
        if registration.queue is None:
            told = services.waitlist_position(registration=registration)
        assert told == true_position.get(registration.pk)
    history = Registration.history.filter(course_id=course.pk)
    assert sorted(history.values_list("id", "history_type", "status")) == sorted(
        (r.pk, "+", r.status) for r in live.values()
    )
    # Every notice's outbox row was published once its registration committed; the rows are deleted by the
    # process's later registration statements, and those still waiting at the end of a request after
    # FLUSH_SECONDS: what is left is exactly what waits.
    waiting_rows = registration_sql.published.take()
    assert waiting_rows and sorted(OutboxMessage.objects.values_list("pk", flat=True)) == sorted(waiting_rows)
    registration_sql.published.give_back(waiting_rows)
    monkeypatch.setattr(registration_sql, "FLUSH_SECONDS", 0)
    registration_sql.flush_published()
    assert not OutboxMessage.objects.exists()
    other.refresh_from_db()
    assert other.confirmed_count == 0 and not other.registrations.exists()


@pytest.mark.django_db
def test_registration_writes_its_history_and_one_outbox_message_of_its_kind():
    course = CourseFactory(capacity=1)
    first, second = _residents(2, course.community)
    OutboxMessage.objects.all().delete()
    with transaction.atomic():
        confirmed = services.registration_create(course=course, resident=first)
        waiting = services.registration_create(course=course, resident=second)
        again = services.registration_create(course=course, resident=second)
        # Written in the registration's transaction, published only after it commits (TestCase never does).
        messages = list(OutboxMessage.objects.order_by("id").values_list("task_name", "args"))
    assert again.pk == waiting.pk
    assert messages == [
        ("notices.tasks.notify_registration", [confirmed.pk, "confirmed"]),
        ("notices.tasks.notify_registration", [waiting.pk, "waitlisted"]),
    ]
    history = Registration.history.filter(course_id=course.pk).order_by("history_id")
    assert list(history.values_list("id", "history_type", "status", "placed_by_id")) == [
        (confirmed.pk, "+", "confirmed", first.pk),
        (waiting.pk, "+", "waitlisted", second.pk),
    ]
    stored = Registration.objects.get(pk=waiting.pk)
    assert (stored.status, stored.created, stored.status_changed, stored.placed_by_id) == (
        waiting.status,
        waiting.created,
        waiting.status_changed,
        waiting.placed_by_id,
    )


@pytest.mark.django_db
def test_registration_on_postgresql_answers_the_queue_in_one_statement(on_postgres, django_assert_num_queries):
    course = CourseFactory(capacity=1)
    first, second, third = _residents(3, course.community)
    services.registration_create(course=course, resident=first)
    # the statement (the lookup, the class locked, the registration, its history and outbox rows, the counts)
    with django_assert_num_queries(1):
        waiting = services.registration_create(course=course, resident=second)
    assert waiting.queue == services.QueueFacts(
        course_status="open", capacity=1, confirmed_count=1, waiting=1, position=1
    )
    with django_assert_num_queries(1):
        again = services.registration_create(course=course, resident=second)
    assert again.pk == waiting.pk and again.queue.position == 1
    third_reg = services.registration_create(course=course, resident=third)
    assert third_reg.queue.position == 2 and third_reg.queue.waiting == 2
