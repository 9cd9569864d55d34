"""Celery wiring: the request id travels in message headers, tasks are counted and timed, and a worker
that starts relays whatever the outbox holds (the broker may just have come back)."""

from __future__ import annotations

import contextlib
import logging
import os
import time

from celery import signals

from .context import current_request_id, reset_request_id, set_request_id

logger = logging.getLogger(__name__)

_started: dict[str, tuple[float, object]] = {}


@signals.before_task_publish.connect
def _add_request_id(headers=None, **kwargs):
    if headers is not None and "request_id" not in headers and current_request_id():
        headers["request_id"] = current_request_id()


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get(
        "request_id"
    )
    # An eager task inside a request keeps the request's id.
    request_id = request_id or current_request_id()
    _started[task_id] = (time.monotonic(), set_request_id(request_id))


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    from .metrics import TASK_SECONDS, TASKS

    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(task=name, outcome=(state or "unknown").lower()).inc()
    if started is not None:
        TASK_SECONDS.labels(task=name).observe(time.monotonic() - started[0])
        # Set in another context (an eager task inside a request): nothing to undo.
        with contextlib.suppress(ValueError):
            reset_request_id(started[1])


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs):
    from .metrics import TASKS

    TASKS.labels(task=getattr(sender, "name", "unknown"), outcome="retry").inc()


@signals.worker_process_init.connect
def _close_inherited_connections(**kwargs):
    from django.db import connections

    # A forked pool process must not share the parent's database socket.
    for connection in connections.all(initialized_only=True):
        connection.close()


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(int(port), addr=os.environ.get("CELERY_METRICS_ADDR", "127.0.0.1"))
    try:
        from .tasks import relay_outbox

        relay_outbox.delay()
    except Exception:
        logger.warning("outbox: could not queue the start-up relay", exc_info=True)
