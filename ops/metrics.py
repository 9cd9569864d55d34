"""Prometheus metrics beyond django-prometheus' request and database figures.

Counters are per process: the web's on /metrics, a worker's on its own port (CELERY_METRICS_PORT, see
signals.py). Figures that live outside any one process (outbox lag, queue lengths, the last beat) are
read when Prometheus scrapes, by `StateCollector`.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

TASKS = Counter("cc_celery_tasks_total", "Celery tasks finished, by task and outcome", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "cc_celery_task_seconds",
    "Celery task run time",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, float("inf")),
)
OUTBOX_PUBLISHED = Counter(
    "cc_outbox_messages_total", "Outbox messages: published, or deferred while the broker is away", ["outcome"]
)
SMS = Counter("cc_sms_total", "SMS handed to the gateway, by outcome", ["outcome"])
CACHE_ERRORS = Counter("cc_cache_errors_total", "Cache calls that failed soft (Redis unreachable)", ["op"])
DB_UNAVAILABLE = Counter("cc_db_unavailable_total", "Requests answered 503 because the database was away")


class StateCollector(Collector):
    """Read at scrape time: outbox lag, queue lengths, seconds since beat's last heartbeat."""

    def collect(self):
        from django.conf import settings

        from . import health

        lag = GaugeMetricFamily("cc_outbox_lag_seconds", "Age of the oldest unpublished outbox message")
        waiting = GaugeMetricFamily("cc_outbox_pending", "Outbox messages waiting for the broker")
        queue = GaugeMetricFamily("cc_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"])
        beat = GaugeMetricFamily("cc_beat_age_seconds", "Seconds since beat's heartbeat task last ran")
        try:
            figures = health.outbox_figures()
            lag.add_metric([], figures.lag)
            waiting.add_metric([], figures.pending)
            age = health.beat_age()
            if age is not None:
                beat.add_metric([], age)
        except Exception as exc:  # a scrape must answer even with the database away
            logger.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
        for name in settings.OPS_QUEUES:
            length = health.queue_length(name)
            if length is not None:
                queue.add_metric([name], length)
        yield from (lag, waiting, queue, beat)


_registered = False


def register_collectors() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(StateCollector())
        _registered = True
