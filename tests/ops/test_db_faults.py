"""Database faults on PostgreSQL: a connection killed in the middle of a request answers 503 (JSON for the
API, a translated page for the portal) with nothing half-saved, the next request reconnects by itself;
web processes carry a statement and a lock timeout; a Celery task that meets a database error retries
(the shared DB_RETRY policy) and finishes."""

from __future__ import annotations

import subprocess
import sys

import psycopg2
import pytest
from django.db import connection

from activities.models import Course, Registration
from ops.models import Heartbeat, OutboxMessage
from tests.factories import CourseFactory, ResidentFactory, SessionFactory, WeeklySlotFactory

from .conftest import ROOT, celery_worker, portal_env, wait_for

# Each test kills its server connection or reads the settings of one: through PgBouncer the pool would
# answer for another (CI runs these on a direct connection).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.direct_db]


def _other_connection():
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    other.autocommit = True
    return other


def _terminate_before_the_registration_is_written(execute, sql, params, many, context):
    """An execute wrapper: the database goes away just as the registration is written. On PostgreSQL the
    registration is one statement (activities/registration_sql.py) that takes the place, inserts the row,
    its history and its notice's outbox row and commits with them, so the moment before it is the last
    one at which the request can lose its connection with something of its work still to do."""
    if "INSERT INTO" in sql and "activities_registration" in sql:
        _terminate_own_backend()
    return execute(sql, params, many, context)


def _terminate_own_backend():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = _other_connection()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


@pytest.fixture
def world(on_postgres):
    slot = WeeklySlotFactory()
    courses = [CourseFactory(capacity=5, slot=slot), CourseFactory(capacity=5, slot=slot)]
    for course in courses:
        SessionFactory(course=course)
    return courses, ResidentFactory(profile__community=courses[0].community)


@pytest.mark.parametrize("api", [True, False], ids=["api", "portal"])
def test_a_connection_lost_mid_request_answers_503_and_saves_nothing(world, client, api):
    courses, resident = world
    client.force_login(resident)
    url = f"/api/v1/courses/{courses[0].pk}/register/" if api else f"/classes/{courses[0].pk}/register/"
    with connection.execute_wrapper(_terminate_before_the_registration_is_written):
        response = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    if api:
        assert response.json() == {
            "code": "service_unavailable",
            "detail": "The service is briefly unavailable. Nothing was saved; please try again.",
        }
    else:
        assert "Nothing you sent was saved half-way" in response.content.decode()
    # Nothing half-saved: no registration, no place taken, no notice queued — in either class.
    connection.close()
    assert Registration.objects.count() == 0
    assert list(Course.objects.order_by("pk").values_list("confirmed_count", flat=True)) == [0, 0]
    assert OutboxMessage.objects.count() == 0
    # The next request reconnects without a restart.
    again = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code in {200, 201, 302}
    assert list(Registration.objects.values_list("course_id", "status")) == [(courses[0].pk, "confirmed")]


@pytest.mark.slow
def test_connections_killed_between_requests_are_replaced(world, spare_redis, tmp_path):
    from accounts.api.services import api_token_create

    from .conftest import free_port, gunicorn
    from .test_redis_outage import _alive, _call

    courses, resident = world
    token = api_token_create(user=resident, name="ops test")[1]
    # Persistent connections (as in production), checked before reuse (CONN_HEALTH_CHECKS).
    env = portal_env(spare_redis.url, DATABASE_CONN_MAX_AGE="600", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    port, log = free_port(), tmp_path / "web.log"
    web = gunicorn(env, log, port).start()
    try:
        wait_for(lambda: _alive(port) and _call(port, "GET", "/healthz")[0] == 200, 60, "gunicorn", log)
        for _ in range(4):  # both workers hold a connection
            assert _call(port, "GET", "/api/v1/registrations/", token)[0] == 200
        other = _other_connection()
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                " AND pid <> %s",
                [_own_pid()],
            )
            assert cursor.fetchone()[0] >= 1
        other.close()
        answers = [_call(port, "POST", f"/api/v1/courses/{course.pk}/register/", token)[0] for course in courses]
    finally:
        web.stop()
    assert answers == [201, 201], log.read_text()[-3000:]
    assert sorted(Registration.objects.values_list("course_id", flat=True)) == sorted(c.pk for c in courses)


def _own_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_web_processes_have_statement_and_lock_timeouts(on_postgres, spare_redis):
    probe = (
        "import community_college.wsgi;"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('SHOW statement_timeout'); a = c.fetchone()[0];"
        "c.execute('SHOW lock_timeout'); print(a, c.fetchone()[0])"
    )
    env = portal_env(spare_redis.url)
    web = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert web.stdout.split()[-2:] == ["15s", "5s"]
    # Workers and commands (migrations, backups) run without them.
    worker_probe = probe.replace("import community_college.wsgi;", "import django; django.setup();")
    other = subprocess.run([sys.executable, "-c", worker_probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert other.stdout.split()[-2:] == ["0", "0"]


@pytest.mark.slow
def test_a_task_that_meets_a_database_error_retries_and_finishes(on_postgres, spare_redis, tmp_path):
    from celery import Celery

    # A lock held elsewhere makes the task's first attempts fail with lock_timeout (an OperationalError).
    env = portal_env(spare_redis.url, DATABASE_LOCK_TIMEOUT_MS="300", DJANGO_LOG_LEVEL="INFO")
    log = tmp_path / "worker.log"
    worker = celery_worker(env, log, level="info").start()
    locker = _other_connection()
    locker.autocommit = False
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE ops_heartbeat IN ACCESS EXCLUSIVE MODE")
        sender = Celery("ops-retry", broker=spare_redis.url, set_as_current=False)
        sender.send_task("ops.tasks.heartbeat")
        sender.close()
        wait_for(lambda: "Retry in" in log.read_text(), 60, "the task to be retried", log)
        locker.commit()  # the database is back to normal
        wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), 60, "the retried task to finish", log)
    finally:
        locker.close()
        worker.stop()
