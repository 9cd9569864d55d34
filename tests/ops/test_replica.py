"""Reads on a streaming replica, read-your-writes on the primary (community_college/db_router.py).

The router's decisions are tested everywhere; the live tests need a real hot standby of the test cluster
(`.ci/run` starts one on port 5433 and runs the PostgreSQL suite with DATABASE_REPLICA_URL pointing at it) and prove that a routed read really runs on
the standby, and that a writer keeps reading the primary while the standby lags (replay paused).
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import District
from community_college import db_router
from community_college.db_router import (
    PIN_COOKIE,
    REPLICA,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    replica_reads,
)
from tests.factories.accounts import DistrictFactory

# The decisions need no database (and must not run inside a test transaction, which is a transaction).


@pytest.fixture
def with_replica_alias(monkeypatch):
    """A configured replica, for the decisions only (no query may reach it)."""
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_reads_stay_on_the_primary_unless_a_page_opts_in(with_replica_alias):
    assert router.db_for_read(District) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(District) == REPLICA
    assert router.db_for_read(District) == DEFAULT_DB_ALIAS


def test_without_a_replica_nothing_moves():
    assert not db_router.replica_configured()
    with replica_reads():
        assert router.db_for_read(District) == DEFAULT_DB_ALIAS


def test_a_write_pins_the_rest_of_the_block_to_the_primary(with_replica_alias):
    with replica_reads():
        assert router.db_for_read(District) == REPLICA
        assert router.db_for_write(District) == DEFAULT_DB_ALIAS
        assert router.db_for_read(District) == DEFAULT_DB_ALIAS
    with replica_reads():  # a new request starts unpinned
        assert router.db_for_read(District) == REPLICA


def test_a_pinned_block_reads_the_primary(with_replica_alias):
    with replica_reads(pinned=True):
        assert router.db_for_read(District) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_reads_the_primary(with_replica_alias):
    with replica_reads():
        assert router.db_for_read(District) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(District) == DEFAULT_DB_ALIAS


def test_migrations_run_on_the_primary_only():
    assert PrimaryReplicaRouter().allow_migrate(DEFAULT_DB_ALIAS, "accounts") is True
    assert PrimaryReplicaRouter().allow_migrate(REPLICA, "accounts") is False


def _recording_view(seen: list):
    def view(request):
        seen.append(router.db_for_read(District))
        if request.method == "POST" or request.GET.get("write"):
            router.db_for_write(District)
        return HttpResponse("ok")

    return view


@pytest.mark.parametrize(
    ("method", "path", "cookie", "expected_db", "sets_pin"),
    [
        ("get", "/dashboards/overview/", False, REPLICA, False),
        ("get", "/dashboards/overview/", True, DEFAULT_DB_ALIAS, False),
        ("get", "/api/v1/staff/orders/", False, REPLICA, False),
        ("get", "/classes/", False, DEFAULT_DB_ALIAS, False),
        ("post", "/dashboards/overview/", False, DEFAULT_DB_ALIAS, True),
        ("post", "/orders/new/", False, DEFAULT_DB_ALIAS, True),
    ],
)
def test_the_middleware_routes_read_only_pages_and_pins_writers(
    with_replica_alias, method, path, cookie, expected_db, sets_pin
):
    seen: list = []
    request = getattr(RequestFactory(), method)(path)
    if cookie:
        request.COOKIES[PIN_COOKIE] = "1"
    response = ReplicaReadsMiddleware(_recording_view(seen))(request)
    assert seen == [expected_db]
    assert (PIN_COOKIE in response.cookies) is sets_pin
    if sets_pin:
        assert response.cookies[PIN_COOKIE]["httponly"] is True
        assert response.cookies[PIN_COOKIE]["max-age"] == 15


def test_a_read_only_page_that_writes_pins_its_client(with_replica_alias):
    seen: list = []
    request = RequestFactory().get("/dashboards/overview/", {"write": "1"})
    response = ReplicaReadsMiddleware(_recording_view(seen))(request)
    assert seen == [REPLICA]
    assert PIN_COOKIE in response.cookies


def test_the_middleware_does_nothing_without_a_replica():
    seen: list = []
    response = ReplicaReadsMiddleware(_recording_view(seen))(RequestFactory().post("/dashboards/x/"))
    assert seen == [DEFAULT_DB_ALIAS]
    assert PIN_COOKIE not in response.cookies


# --- a real hot standby -----------------------------------------------------------------------------------

# The alias exists only where DATABASE_REPLICA_URL is set (the CI's PostgreSQL run).
_WITH_REPLICA = [DEFAULT_DB_ALIAS, *([REPLICA] if REPLICA in settings.DATABASES else [])]


def _replica_caught_up(replica, timeout: float = 30) -> None:
    # The insert position, not the write position: a commit made with synchronous_commit off (the test
    # database's setting) may still sit in the WAL buffers, behind pg_current_wal_lsn(); the standby gets it
    # once the WAL writer flushes it, a fraction of a second later.
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up in time")


def _district(n: int) -> District:
    return DistrictFactory(name=f"测试区{n}", code=f"district-{n}")


@pytest.fixture
def live_replica():
    """The `replica` alias as settings make it from DATABASE_REPLICA_URL: a test mirror of the default
    database (Django creates nothing there) that connects to the standby, which replays the test
    database's creation and every committed row."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql" or REPLICA not in connections:
        pytest.skip("needs PostgreSQL and a hot standby of it (DATABASE_REPLICA_URL; .ci/run starts one)")
    replica = connections[REPLICA]
    deadline = time.monotonic() + 30
    while True:  # the standby replays the CREATE DATABASE of this test database a moment after it
        try:
            replica.ensure_connection()
            break
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            replica.close()
            time.sleep(0.2)
    try:
        yield replica
    finally:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        replica.close()


def _count_view(request):
    if request.method == "POST":
        _district(3)
    return HttpResponse(str(District.objects.count()))


@pytest.mark.replica_routing
@pytest.mark.django_db(transaction=True, databases=_WITH_REPLICA)
def test_a_routed_read_runs_on_the_standby_and_a_writer_reads_its_own_write(live_replica):
    _district(1)
    _replica_caught_up(live_replica)
    with live_replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
        cursor.execute("SELECT pg_wal_replay_pause()")

    # The standby lags from here on: a second district exists on the primary only.
    _district(2)
    assert District.objects.using(DEFAULT_DB_ALIAS).count() == 2
    middleware = ReplicaReadsMiddleware(_count_view)

    stranger = middleware(RequestFactory().get("/dashboards/overview/"))
    assert stranger.content == b"1"  # read on the standby, which has not replayed the second district

    writer = middleware(RequestFactory().post("/dashboards/overview/"))
    assert writer.content == b"3"  # the request that wrote reads the primary
    pinned_get = RequestFactory().get("/dashboards/overview/")
    pinned_get.COOKIES[PIN_COOKIE] = writer.cookies[PIN_COOKIE].value
    assert middleware(pinned_get).content == b"3"  # and so does the same browser's next page

    with live_replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    _replica_caught_up(live_replica)
    assert middleware(RequestFactory().get("/dashboards/overview/")).content == b"3"
