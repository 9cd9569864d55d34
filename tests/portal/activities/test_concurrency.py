"""Many residents at once, on PostgreSQL: the class never oversells and no registration is lost.

Each thread has its own database connection, as gunicorn workers do. A barrier lines the threads up so
they really collide, and each thread opens its connection before the barrier so that connecting does not
spread them out.

The same test runs with the guard disabled, to prove it can see a race: `naive_registration_create` reads
the number of places taken, thinks for a moment and writes that number plus one back — read-modify-write,
as `style.md` forbids. The `course_not_oversold` CheckConstraint stays in place and never fires: every
thread writes 1 (taken 0 + 1), which is within capacity, while each inserts a confirmed registration. The
race shows as lost updates of the counter and more confirmed registrations than places. That is why the
guard is the conditional UPDATE (`confirmed_count < capacity` in the WHERE clause, re-checked by
PostgreSQL after the row lock is granted) and the constraint only a backstop.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from activities import services
from activities.enums import RegistrationStatus
from activities.models import Course, Registration
from tests.factories import CommunityFactory, CourseFactory, ResidentFactory

CAPACITY = 10
THREADS = 50


def naive_registration_create(*, course: Course, resident) -> Registration:
    """The guard disabled: read the count, decide in Python, write it back."""
    with transaction.atomic():
        taken = Course.objects.values_list("confirmed_count", flat=True).get(pk=course.pk)
        time.sleep(0.05)  # the moment between reading and writing in which other requests slip in
        if taken < course.capacity:
            Course.objects.filter(pk=course.pk).update(confirmed_count=taken + 1)
            status = RegistrationStatus.CONFIRMED
        else:
            status = RegistrationStatus.WAITLISTED
        return Registration.objects.create(course=course, resident=resident, status=status)


def _run_at_once(target, args_list):
    """Run target(*args) in one thread per args, all released together; return the exceptions raised."""
    barrier = threading.Barrier(len(args_list))
    errors: list[BaseException] = []

    def work(*args):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            target(*args)
        except BaseException as exc:  # reported by the test, whatever it is
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "guard-disabled"])
def test_registration_rush_never_oversells_and_loses_nobody(on_postgres, guarded):
    community = CommunityFactory()
    course = CourseFactory(community=community, capacity=CAPACITY)
    residents = [ResidentFactory(profile__community=community) for _ in range(THREADS)]
    register = services.registration_create if guarded else naive_registration_create

    errors = _run_at_once(lambda r: register(course=course, resident=r), [(r,) for r in residents])

    assert errors == []
    live = Registration.objects.filter(course=course, status__in=["confirmed", "waitlisted"])
    # None lost: every resident who pressed the button holds exactly one live registration.
    assert Counter(live.values_list("resident_id", flat=True)) == Counter({r.pk: 1 for r in residents})
    statuses = Counter(live.values_list("status", flat=True))
    course.refresh_from_db()
    if guarded:
        assert statuses == {"confirmed": CAPACITY, "waitlisted": THREADS - CAPACITY}
        assert course.confirmed_count == CAPACITY
        # The waiting list is a queue: positions 1..40, each given once.
        positions = sorted(services.waitlist_position(registration=r) for r in live.filter(status="waitlisted"))
        assert positions == list(range(1, THREADS - CAPACITY + 1))
    else:
        # The race the guard prevents: more confirmed than places, and a counter that lost updates.
        assert statuses["confirmed"] > CAPACITY
        assert course.confirmed_count < statuses["confirmed"]


@pytest.mark.django_db(transaction=True)
def test_registration_double_click_storm_makes_one_registration(on_postgres):
    """One resident's twenty simultaneous requests (a shaky finger, a retrying phone) make one registration."""
    course = CourseFactory(capacity=CAPACITY)
    resident = ResidentFactory(profile__community=course.community)
    errors = _run_at_once(lambda: services.registration_create(course=course, resident=resident), [()] * 20)
    assert errors == []
    assert list(Registration.objects.filter(course=course).values_list("resident_id", "status")) == [
        (resident.pk, "confirmed")
    ]
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db(transaction=True)
def test_registration_cancellations_at_once_promote_in_order(on_postgres):
    """Ten residents give up their places at the same moment: the first ten waiting move up, in order."""
    course = CourseFactory(capacity=CAPACITY)
    people = [ResidentFactory(profile__community=course.community) for _ in range(CAPACITY + 15)]
    registrations = [services.registration_create(course=course, resident=p) for p in people]
    confirmed, waiting = registrations[:CAPACITY], registrations[CAPACITY:]

    errors = _run_at_once(
        lambda reg: services.registration_cancel(registration=reg, actor=reg.resident), [(r,) for r in confirmed]
    )

    assert errors == []
    course.refresh_from_db()
    now_confirmed = set(Registration.objects.filter(course=course, status="confirmed").values_list("pk", flat=True))
    assert now_confirmed == {r.pk for r in waiting[:CAPACITY]}
    assert course.confirmed_count == CAPACITY
    assert Registration.objects.filter(course=course, status="waitlisted").count() == 5
