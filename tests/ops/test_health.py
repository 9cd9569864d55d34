"""Liveness answers without touching anything; readiness is not public and fails, naming the dependency,
for each one that is down: database, migrations, cache, broker, worker, beat, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ops.models import Heartbeat, OutboxMessage

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _failing(response) -> set[str]:
    return {name for name, check in response.json()["checks"].items() if not check["ok"]}


def test_healthz_is_liveness_and_reads_nothing(client):
    # No database in this test: a query anywhere in the request would raise.
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_is_not_public(client, settings):
    settings.OPS_TOKEN = "s3cret-token-for-monitoring"
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/readyz", **outsider).status_code == 404
    assert client.get("/metrics", **outsider).status_code == 404
    # X-Forwarded-For is anyone's to send: it never grants access.
    assert client.get("/readyz", HTTP_X_FORWARDED_FOR="127.0.0.1", **outsider).status_code == 404
    assert client.get("/readyz", HTTP_AUTHORIZATION="Bearer wrong", **outsider).status_code == 404
    with_token = client.get("/readyz", HTTP_AUTHORIZATION="Bearer s3cret-token-for-monitoring", **outsider)
    assert with_token.status_code == 200
    settings.OPS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/readyz", REMOTE_ADDR="10.20.30.40").status_code == 200


@pytest.mark.django_db
def test_readyz_all_ok_without_a_broker(client):
    # Development and the suite: no broker, tasks run in-process; broker, worker and beat are not needed.
    response = client.get("/readyz")
    assert (response.status_code, response.json()["status"], _failing(response)) == (200, "ok", set())
    assert list(response.json()["checks"]) == ["database", "migrations", "cache", "broker", "worker", "beat", "outbox"]


@pytest.mark.django_db
def test_readyz_fails_on_unapplied_migrations(client):
    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_initial").delete()
    response = client.get("/readyz")
    assert (response.status_code, _failing(response)) == (503, {"migrations"})


@pytest.mark.django_db
def test_readyz_fails_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "ops.cache.FailSoftRedisCache", "LOCATION": CLOSED_REDIS, "OPTIONS": {"socket_connect_timeout": 0.5}}
    }
    response = client.get("/readyz")
    assert (response.status_code, _failing(response)) == (503, {"cache"})


@pytest.mark.django_db
def test_readyz_fails_when_the_broker_is_down(client, broker_at):
    broker_at(CLOSED_REDIS)
    Heartbeat.objects.create(name="beat", beat_at=timezone.now())
    response = client.get("/readyz")
    # No broker, so no worker can answer either.
    assert (response.status_code, _failing(response)) == (503, {"broker", "worker"})


@pytest.mark.django_db
def test_readyz_fails_when_no_worker_answers(client, broker_at, spare_redis):
    broker_at(spare_redis.url)
    Heartbeat.objects.create(name="beat", beat_at=timezone.now())
    response = client.get("/readyz")
    assert (response.status_code, _failing(response)) == (503, {"worker"})
    assert "unavailable" in response.json()["checks"]["worker"]["detail"].lower()


@pytest.mark.django_db
@pytest.mark.parametrize("last_run", [None, timedelta(minutes=30)], ids=["never", "stale"])
def test_readyz_fails_when_beat_has_not_run_recently(client, broker_at, spare_redis, last_run):
    broker_at(spare_redis.url)
    if last_run is not None:
        Heartbeat.objects.create(name="beat", beat_at=timezone.now() - last_run)
    response = client.get("/readyz")
    assert {"beat"} <= _failing(response)
    assert response.status_code == 503


@pytest.mark.django_db
def test_readyz_fails_when_the_outbox_lags(client, settings):
    settings.OUTBOX_LAG_MAX_SECONDS = 300
    OutboxMessage.objects.create(task_name="ops.tasks.heartbeat", created=timezone.now() - timedelta(seconds=200))
    assert client.get("/readyz").status_code == 200
    OutboxMessage.objects.create(task_name="ops.tasks.heartbeat", created=timezone.now() - timedelta(seconds=400))
    response = client.get("/readyz")
    assert (response.status_code, _failing(response)) == (503, {"outbox"})
    assert response.json()["checks"]["outbox"]["detail"].startswith("Unavailable: 2 outbox messages waiting")


@pytest.mark.django_db(transaction=True)
@pytest.mark.direct_db  # kills its own server connection: behind PgBouncer that is the pool's
def test_readyz_fails_when_the_database_is_gone(client, on_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    _terminate(pid)
    response = client.get("/readyz")
    assert response.status_code == 503
    # The checks that need the database say so instead of waiting for it.
    assert _failing(response) == {"database", "migrations", "beat", "outbox"}
    connection.close()
    assert client.get("/readyz").status_code == 200  # reconnected, no restart


def _terminate(pid: int) -> None:
    import psycopg2

    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
