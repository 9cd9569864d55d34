"""Readiness checks: each raises a django-health-check exception when its dependency is not usable.

Database (django-health-check's own `SELECT 1`) and migrations; cache; broker; a Celery worker answering
a ping (django-health-check's `Ping`); beat's heartbeat; outbox lag. Every probe has its own client
timeout, so a dependency that hangs fails its check instead of hanging the probe.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from .models import Heartbeat, OutboxMessage
from .outbox import eager

BEAT = "beat"


@dataclass(frozen=True)
class OutboxFigures:
    pending: int
    lag: float


def outbox_figures() -> OutboxFigures:
    from .outbox import lag_seconds

    return OutboxFigures(pending=OutboxMessage.objects.count(), lag=lag_seconds())


def beat_age() -> float | None:
    row = Heartbeat.objects.filter(name=BEAT).first()
    return None if row is None else max(0.0, (timezone.now() - row.beat_at).total_seconds())


def _broker_redis():
    import redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    timeout = settings.OPS_PROBE_TIMEOUT_SECONDS
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=None)


def queue_length(name: str) -> int | None:
    """Messages waiting in a Redis-backed Celery queue; None if the broker is not Redis or is away."""
    import redis

    client = _broker_redis()
    if client is None:
        return None
    try:
        return int(client.llen(name))
    except redis.RedisError:
        return None
    finally:
        client.close()


@dataclasses.dataclass
class Migrated(HealthCheck):
    """Every migration on disk is applied: a web started before `migrate` finished is not ready."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        executor = MigrationExecutor(connections[self.alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")


@dataclasses.dataclass
class CacheReachable(HealthCheck):
    """The cache answers a round trip. The portal runs without it (see ops/cache.py), but degraded."""

    def run(self):
        ping = getattr(cache, "ping", None)
        if ping is None:  # a local-memory cache (development) is always there
            return
        try:
            ping()
        except Exception as exc:
            raise ServiceUnavailable(f"cache unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class BrokerReachable(HealthCheck):
    def run(self):
        if eager():
            return  # no broker: tasks run in-process
        from community_college.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=settings.OPS_PROBE_TIMEOUT_SECONDS)
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class WorkerAnswers(HealthCheck):
    """A Celery worker answers a ping within OPS_PROBE_TIMEOUT_SECONDS (django-health-check's Ping)."""

    def run(self):
        if eager():
            return
        from community_college.celery import app

        probe = Ping(app=app, timeout=datetime.timedelta(seconds=settings.OPS_PROBE_TIMEOUT_SECONDS), limit=1)
        try:
            probe.run()
        except HealthCheckException:
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"worker ping failed ({type(exc).__name__})") from exc


@dataclasses.dataclass
class BeatRecent(HealthCheck):
    """Beat's heartbeat task ran within OPS_BEAT_MAX_AGE_SECONDS (it needs beat, broker and a worker)."""

    def run(self):
        if eager():
            return
        age = beat_age()
        if age is None:
            raise ServiceUnavailable("beat has never run")
        if age > settings.OPS_BEAT_MAX_AGE_SECONDS:
            raise ServiceUnavailable(f"beat last ran {age:.0f} s ago")


@dataclasses.dataclass
class OutboxLag(HealthCheck):
    def run(self):
        figures = outbox_figures()
        if figures.lag > settings.OUTBOX_LAG_MAX_SECONDS:
            raise ServiceUnavailable(
                f"{figures.pending} outbox messages waiting, the oldest for {figures.lag:.0f} s"
            )


# Name → check, in the order they run. Order matters: a database that is away fails fast first.
CHECKS: dict[str, type[HealthCheck]] = {
    "database": Database,
    "migrations": Migrated,
    "cache": CacheReachable,
    "broker": BrokerReachable,
    "worker": WorkerAnswers,
    "beat": BeatRecent,
    "outbox": OutboxLag,
}
# These need the database: skipped (and failed) when it is away, so the probe answers at once.
_NEEDS_DATABASE = {"migrations", "beat", "outbox"}


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str
    seconds: float


def run_checks() -> list[Outcome]:
    outcomes: list[Outcome] = []
    database_ok = True
    for name, check_class in CHECKS.items():
        started = time.monotonic()
        if name in _NEEDS_DATABASE and not database_ok:
            outcomes.append(Outcome(name, False, "skipped: database unavailable", 0.0))
            continue
        try:
            check_class().run()
        except ServiceWarning as exc:
            outcomes.append(Outcome(name, True, str(exc), time.monotonic() - started))
        except HealthCheckException as exc:
            outcomes.append(Outcome(name, False, str(exc), time.monotonic() - started))
        except Exception as exc:
            outcomes.append(Outcome(name, False, f"error: {type(exc).__name__}", time.monotonic() - started))
        else:
            outcomes.append(Outcome(name, True, "ok", time.monotonic() - started))
        if name == "database" and not outcomes[-1].ok:
            database_ok = False
    return outcomes
