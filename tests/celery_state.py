"""Celery's process-wide state, as a test found it, put back when it ends (tests/conftest.py does this
around every test), so that no test depends on which tests ran before it on its worker.

Three things leaked, each failing later tests that run tasks in-process:

- A `Celery(...)` made to send tasks becomes the current app, and `@shared_task` resolves through the current
  app: every later `.delay()` went to that app (not eager, its broker a Redis the test had stopped).
- `denied_join_result()`, which Celery wraps around each eager task, saves and restores a flag of the
  process, not of the thread: eager tasks run at once on several threads (the concurrency tests) can leave it
  set, and a later `result.get()` raises "Never call result.get() within a task!".
- The app's configuration changed by a test (broker URL and transport, result backend), with the connection
  pools and result backend built from it.
"""

from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def kept():
    from celery import _state

    from community_college.celery import app

    app.conf.task_always_eager  # noqa: B018 — reading a setting loads the configuration (lazy until then)
    changes = app.conf.maps[0]  # where `app.conf.x = ...` writes
    saved = dict(changes)
    try:
        yield
    finally:
        app.set_current()
        app.set_default()
        _state._set_task_join_will_block(False)
        if changes != saved:
            changes.clear()
            changes.update(saved)
            reset_connections(app)


def reset_connections(app) -> None:
    """Drop the app's broker pools, producer pool and result backend, so the next use connects with the
    configuration it has now (a broker or backend URL a test changed)."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
    app._backend_cache = None
    app._local = threading.local()
