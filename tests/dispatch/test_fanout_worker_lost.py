"""A worker lost mid-run costs only its part's retry (issue 18, item 4): real Celery workers on the test
database and a Redis server of the test's own, one SIGKILLed while it solves a part of a fan-out match.

The part tasks are acknowledged late (`activities.tasks.match_parts`): the message stays unacknowledged in
Redis while the part is solved. A worker killed outright acknowledges nothing and rejects nothing, so the
message waits out the broker's visibility timeout and the next worker's restore sweep puts it back on the
queue (both lowered here through the environment: community_college/settings.py). The other part is
untouched, the chord gathers when both are in, and the proposal is the undisturbed fan-out's.

The workers import tests/dispatch/worker_lost_hooks.py: it counts each part's starts and holds the parts
while the test says so, so that the kill lands while a part is being solved, not after.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from activities.dispatch.build import build_instance
from activities.dispatch.fanout import match_fanout, solve_split
from activities.matching.split import split
from activities.models import MatchRun
from tests.ops.conftest import BIN, ROOT, Process, portal_env, spare_redis, wait_for  # noqa: F401 — a fixture

from .test_fanout import _classes, _solution_classes, _two_corners
from .test_fanout_worker import app_at_redis  # noqa: F401 — a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.slow]

# Short enough for the test, long above a part's solve here (a few hundredths of a second).
VISIBILITY_SECONDS = 6


@pytest.fixture
def redis_broker(on_postgres, app_at_redis):  # noqa: F811 — the fixture imported above
    """A Redis server of this test's own as the in-process app's broker and result backend: the workers it
    starts consume the default queue, which on a shared Redis would also hold other test processes' tasks
    (for other test databases)."""
    import redis

    client = redis.Redis.from_url(app_at_redis.url)
    yield client
    client.close()


def _worker(env: dict, log, name: str) -> Process:
    # One process solving at a time: it takes one part (prefetch 1 with late acks) and leaves the rest queued.
    return Process(
        [
            str(BIN / "celery"), "-A", "community_college", "worker", "--concurrency", "1", "-P", "prefork",
            "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--include", "tests.dispatch.worker_lost_hooks", "-n", f"{name}-{os.getpid()}@%h",
        ],
        env,
        log,
    )  # fmt: skip


def test_a_worker_killed_mid_part_costs_only_that_parts_retry(redis_broker, spare_redis, town, tmp_path):  # noqa: F811
    _two_corners(town)
    built = build_instance(node=town.district, term=town.term)
    assert len(split(built.instance)) == 2
    undisturbed = _solution_classes(solve_split(built.instance, seed=3, time_limit=5), built)
    assert undisturbed != []

    prefix = f"worker-lost-{uuid.uuid4().hex}"
    env = portal_env(
        spare_redis.url,
        WORKER_LOST_PREFIX=prefix,
        PYTHONPATH=str(ROOT),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_SECONDS),
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
    )
    redis_broker.set(f"{prefix}:hold", 1, ex=300)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _worker(env, first_log, "first").start()
    second = None
    try:
        result = match_fanout(node=town.district, term=town.term, time_limit=5, seed=3, tasks=2)
        started = wait_for(
            lambda: redis_broker.lrange(f"{prefix}:started", 0, -1), 180, "a part to start", first_log
        )
        killed_task, child = started[0].decode().split()
        # The part is being solved by the first worker's pool process: kill the whole worker outright.
        assert os.getpgid(int(child)) == first.proc.pid
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=30)
        time.sleep(0.5)
        assert redis_broker.hlen("unacked") == 1  # the killed part, waiting out the visibility timeout

        redis_broker.delete(f"{prefix}:hold")
        second = _worker(env, second_log, "second").start()
        run_id = result.get(timeout=300)
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        redis_broker.delete(f"{prefix}:hold")

    run = MatchRun.objects.get()
    assert run.pk == run_id
    assert _classes(run) == undisturbed
    assert (run.classes, run.orders_assigned) == (2, 9)
    # Each part task's starts: the killed one twice (the killed worker, then the second), the other once.
    starts = {
        key.decode().rsplit(":", 1)[1]: int(redis_broker.get(key))
        for key in redis_broker.scan_iter(f"{prefix}:starts:*")
    }
    assert len(starts) == 2 and starts[killed_task] == 2
    assert sorted(starts.values()) == [1, 2]
    runs = [line.decode().split() for line in redis_broker.lrange(f"{prefix}:started", 0, -1)]
    killed_runs = [pid for task, pid in runs if task == killed_task]
    assert len(killed_runs) == 2 and killed_runs[0] == child != killed_runs[1]
    text = second_log.read_text()
    assert "activities.tasks.match_gather[" in text, text[-3000:]
    for key in redis_broker.scan_iter(f"{prefix}:*"):
        redis_broker.delete(key)
