"""Imported by the Celery workers of test_fanout_worker_lost (`celery worker --include`), never by pytest.

When a matching part task starts, it counts the start (per task id) and says who runs it (the child's pid) in
Redis; while the test holds the parts (a key set), it waits there, so the test can SIGKILL its worker while
the part is being solved, with no race against a fast solve. The solve itself is the real one.
"""

from __future__ import annotations

import os
import time

import redis
from celery.signals import task_prerun

PREFIX = os.environ.get("WORKER_LOST_PREFIX", "worker-lost")
HOLD_SECONDS = 120


@task_prerun.connect
def _count_and_hold(sender=None, task_id=None, **_kwargs):
    if getattr(sender, "name", "") != "activities.tasks.match_parts":
        return
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.incr(f"{PREFIX}:starts:{task_id}")
    client.rpush(f"{PREFIX}:started", f"{task_id} {os.getpid()}")
    deadline = time.monotonic() + HOLD_SECONDS
    while client.exists(f"{PREFIX}:hold") and time.monotonic() < deadline:
        time.sleep(0.05)
