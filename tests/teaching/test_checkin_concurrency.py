"""Check-ins at the door at the same moment, each in its own connection, on PostgreSQL: one row per resident,
walk-ins never beyond the free places, and a double scan of one resident kept once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activities.checkin import attendance_check_in, checkin_code
from activities.models import Attendance, Registration
from activities.services import registration_create
from community_college.errors import ConflictError
from tests.factories import CourseFactory, ResidentFactory, SessionFactory


def _race(work, items) -> list:
    barrier = threading.Barrier(len(items))
    outcomes: list = []

    def run(item):
        try:
            barrier.wait()
            work(item)
            outcomes.append("ok")
        except ConflictError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # pragma: no cover - reported by the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_residents_and_walk_ins_checking_in_together_never_overfill(on_postgres):
    course = CourseFactory(capacity=8)
    other = CourseFactory(capacity=8, community=course.community)
    start = timezone.now() + timedelta(minutes=5)
    session = SessionFactory(course=course, starts_at=start, ends_at=start + timedelta(hours=1))
    registered = [ResidentFactory(profile__community=course.community) for _ in range(5)]
    for person in registered:
        registration_create(course=course, resident=person)
    walk_ins = [ResidentFactory(profile__community=course.community) for _ in range(6)]
    code = checkin_code(session=session).code
    # Each registered resident scans twice (a double tap) alongside six walk-ins for three free places.
    outcomes = _race(
        lambda person: attendance_check_in(code=code, resident=person), registered * 2 + walk_ins
    )
    assert sorted(outcomes) == sorted(["ok"] * 13 + ["not_registered"] * 3)
    rows = list(Attendance.objects.filter(session=session).values_list("resident_id", flat=True))
    assert len(rows) == len(set(rows)) == 8
    course.refresh_from_db()
    assert (
        course.confirmed_count == 8 == Registration.objects.filter(course=course, status="confirmed").count()
    )
    # Refused walk-ins kept no place on the waiting list either; the other class is untouched.
    assert not Registration.objects.filter(course=course, status="waitlisted").exists()
    other.refresh_from_db()
    assert other.confirmed_count == 0
