"""Prepared statements (community_college/prepared.py): prepared once per server connection, prepared again on
a new one, sent as text behind PgBouncer, and the registration statement among them."""

from __future__ import annotations

import pytest
from django.db import connection

from activities import services
from activities.enums import RegistrationStatus
from community_college import prepared
from tests.factories import CourseFactory, ResidentFactory, SessionFactory

ADD = prepared.statement("cc_test_add", "SELECT %(a)s + %(b)s * %(a)s, 7 %% 4", {"a": "bigint", "b": "integer"})


def _prepared_here() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _add(a: int, b: int) -> tuple[int, int]:
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, ADD, {"a": a, "b": b})
        return cursor.fetchone()


def test_a_statement_numbers_its_parameters_in_order_of_first_use():
    assert ADD.prepare == "PREPARE cc_test_add (bigint, integer) AS SELECT $1 + $2 * $1, 7 % 4"
    assert ADD.execute == "EXECUTE cc_test_add(%(a)s, %(b)s)"
    assert ADD.text == "SELECT %(a)s + %(b)s * %(a)s, 7 %% 4"


def test_a_parameter_without_a_type_is_refused():
    with pytest.raises(ValueError, match="'b'"):
        prepared.statement("cc_test_bad", "SELECT %(a)s, %(b)s", {"a": "bigint"})


# What a server connection has prepared is its own: behind PgBouncer nothing is (the test below).
@pytest.mark.direct_db
@pytest.mark.django_db(transaction=True)
def test_prepared_once_per_connection_and_again_on_a_new_one(on_postgres):
    connection.close()
    assert _add(2, 3) == (8, 3)
    assert _add(5, 1) == (10, 3)
    assert _prepared_here() == {"cc_test_add": 2}
    # A new server connection has nothing prepared: the statement is prepared there again, not assumed.
    connection.close()
    assert _add(1, 1) == (2, 3)
    assert _prepared_here() == {"cc_test_add": 1}


@pytest.mark.django_db(transaction=True)
def test_behind_pgbouncer_the_statement_is_sent_as_text(on_postgres, settings):
    settings.DATABASE_POOLER = "pgbouncer"
    connection.close()
    assert _add(2, 3) == (8, 3)
    assert _prepared_here() == {}


# What a server connection has prepared is its own: behind PgBouncer nothing is (the test below).
@pytest.mark.direct_db
@pytest.mark.django_db(transaction=True)
def test_the_registration_statement_runs_prepared(on_postgres):
    course = CourseFactory(capacity=1)
    SessionFactory(course=course)
    first, second = (ResidentFactory(profile__community=course.community) for _ in range(2))
    connection.close()
    assert services.registration_create(course=course, resident=first).status == RegistrationStatus.CONFIRMED
    assert services.registration_create(course=course, resident=second).status == RegistrationStatus.WAITLISTED
    assert _prepared_here().get("activities_register") == 2


@pytest.mark.django_db
def test_an_instance_from_a_row_is_what_the_orm_reads():
    # The backend's converters as well as the fields': SQLite hands a datetime back as naive text.
    from datetime import timedelta

    from django.utils import timezone

    from activities.models import Course

    course = CourseFactory(capacity=5, registration_opens_at=timezone.now() + timedelta(days=2))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {prepared.columns(Course)} FROM {Course._meta.db_table} WHERE id = %s", [course.pk])
        built = prepared.instance(connection, Course, cursor.fetchone())
    read = Course.objects.get(pk=course.pk)
    fields = [f.attname for f in Course._meta.concrete_fields]
    assert [getattr(built, f) for f in fields] == [getattr(read, f) for f in fields]
    assert timezone.is_aware(built.registration_opens_at)
    assert (built._state.adding, built._state.db) == (False, connection.alias)
