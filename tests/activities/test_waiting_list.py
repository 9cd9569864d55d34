"""The waiting list's length per class (activities.WaitingList), kept by PostgreSQL triggers (issue 20).

A registration reads its place in the queue from that count instead of counting the queue; these tests hold
the count to the rows through every kind of write (the registration statement, services, a bulk update, a
deletion), with two classes' waiting lists interleaved so that a count taken from the wrong class shows.
"""

import pytest
from django.db import connection

from activities import services
from activities.enums import RegistrationStatus
from activities.models import Course, Registration, WaitingList
from tests.factories import RegistrationFactory
from tests.factories.pairs import two_of_everything

pytestmark = pytest.mark.django_db

WAITLISTED = RegistrationStatus.WAITLISTED


def _counted(*courses) -> dict[int, int]:
    """What the rows say: waiting registrations per class."""
    return {c.pk: Registration.objects.filter(course=c, status=WAITLISTED).count() for c in courses}


def _kept(*courses) -> dict[int, int]:
    """What the triggers kept (0 for a class without a row yet)."""
    kept = dict(WaitingList.objects.filter(course__in=courses).values_list("course_id", "waiting"))
    return {c.pk: kept.get(c.pk, 0) for c in courses}


def test_positions_stay_right_with_two_classes_waiting_lists_interleaved(on_postgres):
    pair = two_of_everything(capacity=1)
    a1, a2, b1 = pair.courses
    told = {a1.pk: [], a2.pk: []}
    for _ in range(3):
        for course in (a1, a2):
            registration = services.registration_create(course=course, resident=pair.resident())
            told[course.pk].append(
                (registration.status, registration.queue.position, registration.queue.waiting)
            )
    expected = [("confirmed", None, 0), ("waitlisted", 1, 1), ("waitlisted", 2, 2)]
    assert told == {a1.pk: expected, a2.pk: expected}
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 2, a2.pk: 2, b1.pk: 0}
    assert not WaitingList.objects.filter(course=b1).exists()  # a class nobody waits for has no row


def test_every_kind_of_write_keeps_the_count_of_its_own_class_only(on_postgres):
    pair = two_of_everything(capacity=1)
    a1, a2, b1 = pair.courses
    first = services.registration_create(course=a1, resident=pair.resident())
    waiting = [services.registration_create(course=a1, resident=pair.resident()) for _ in range(3)]
    other = [services.registration_create(course=a2, resident=pair.resident()) for _ in range(3)]
    assert _kept(a1, a2, b1) == {a1.pk: 3, a2.pk: 2, b1.pk: 0}

    # Leaving the waiting list, and a freed place going to the first in line.
    services.registration_cancel(registration=waiting[1], actor=waiting[1].resident)
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 2, a2.pk: 2, b1.pk: 0}
    services.registration_cancel(registration=first, actor=first.resident)
    assert Registration.objects.get(pk=waiting[0].pk).status == "confirmed"
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 1, a2.pk: 2, b1.pk: 0}

    # The next resident is told the place the count gives: behind the one still waiting.
    late = services.registration_create(course=a1, resident=pair.resident())
    assert (late.queue.position, late.queue.waiting) == (2, 2)

    # Writes that bypass the services: a factory's row, a bulk update, a move to another class, a deletion.
    RegistrationFactory(course=b1, status=WAITLISTED)
    Registration.objects.filter(pk=other[2].pk).update(course=b1)
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 2, a2.pk: 1, b1.pk: 2}
    Registration.objects.filter(course=b1).update(status=RegistrationStatus.CANCELLED)
    Registration.objects.filter(pk=late.pk).delete()
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 1, a2.pk: 1, b1.pk: 0}

    # A cancelled class empties its list; a deleted one takes its row along.
    services.course_cancel(course=Course.objects.get(pk=a2.pk), actor=pair.staff_a)
    assert _kept(a1, a2, b1) == _counted(a1, a2, b1) == {a1.pk: 1, a2.pk: 0, b1.pk: 0}
    Registration.history.filter(course_id=a1.pk).delete()
    Course.objects.filter(pk=a1.pk).delete()
    assert not WaitingList.objects.filter(course_id=a1.pk).exists()
    assert _kept(a2, b1) == {a2.pk: 0, b1.pk: 0}


def test_who_is_ahead_is_read_from_the_waiting_lists_own_index(on_postgres):
    """Without statistics (a table filled moments ago), the planner used the one-live-registration index and
    read every live row of the class to find the waiting ones; the partial index holds the queue alone."""
    pair = two_of_everything(capacity=1)
    registration = services.registration_create(course=pair.a1, resident=pair.resident())
    queryset = Registration.objects.filter(
        services.waitlist_ahead_of(registration), course_id=pair.a1.pk, status=WAITLISTED
    )
    with connection.cursor() as cursor:
        sql, params = queryset.values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) q", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registration_waiting_idx" in plan


@pytest.mark.parametrize("vendor_path", ["kept length", "counted"])
def test_waitlist_position_is_the_place_in_its_own_queue_in_one_query(vendor_path, django_assert_num_queries):
    """The notice's position: on PostgreSQL the kept length less those behind, elsewhere (or without a kept
    length) those ahead counted; both agree with the order the waiting list is served in."""
    if vendor_path == "kept length" and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    pair = two_of_everything(capacity=1)
    a1, a2, _ = pair.courses
    queues = {a1.pk: [], a2.pk: []}
    for _ in range(4):
        for course in (a1, a2):
            registration = services.registration_create(course=course, resident=pair.resident())
            if registration.status == WAITLISTED:
                queues[course.pk].append(registration)
    services.registration_cancel(registration=queues[a1.pk][1], actor=queues[a1.pk][1].resident)
    if vendor_path == "counted":
        WaitingList.objects.all().delete()
    expected = {a1.pk: [1, None, 2], a2.pk: [1, 2, 3]}
    for course_id, queue in queues.items():
        for registration in queue:
            registration.refresh_from_db()
        waiting = len([r for r in queue if r.status == WAITLISTED])
        # On PostgreSQL without a kept length, the look for it is one more query.
        each = 2 if vendor_path == "counted" and connection.vendor == "postgresql" else 1
        with django_assert_num_queries(waiting * each):
            assert [services.waitlist_position(registration=r) for r in queue] == expected[course_id]
