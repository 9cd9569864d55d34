"""The matching fan-out through a real Celery worker (two processes) and a real Redis (broker and the chord's
results): the proposal is the single-process run's. PostgreSQL only: the worker shares the test database."""

from __future__ import annotations

import pytest

from activities.dispatch import service as dispatch
from activities.dispatch.build import build_instance
from activities.dispatch.fanout import match_fanout
from activities.models import MatchRun
from tests.celery_state import reset_connections
from tests.ops.conftest import celery_worker, portal_env, spare_redis  # noqa: F401 — spare_redis is a fixture

from .test_fanout import _classes, _solution_classes, _two_corners

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def app_at_redis(spare_redis):  # noqa: F811 — the fixture imported above
    """The in-process Celery app sends to the spare Redis and reads the chord's result from it."""
    from community_college.celery import app

    saved = app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager

    app.conf.broker_url = app.conf.result_backend = spare_redis.url
    app.conf.task_always_eager = False
    reset_connections(app)
    yield spare_redis
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
    reset_connections(app)


def test_fanout_through_a_real_worker_gives_the_single_process_proposal(
    on_postgres, app_at_redis, town, tmp_path
):
    _two_corners(town)
    built = build_instance(node=town.district, term=town.term)
    alone = dispatch.match_run(node=town.district, term=town.term, time_limit=5, seed=3, dry_run=True)
    log = tmp_path / "worker.log"
    worker = celery_worker(portal_env(app_at_redis.url), log, level="info").start()
    try:
        result = match_fanout(node=town.district, term=town.term, time_limit=5, seed=3, tasks=2)
        run_id = result.get(timeout=240)
    finally:
        worker.stop()
    run = MatchRun.objects.get(pk=run_id)
    assert _classes(run) == _solution_classes(alone.solution, built) != []
    assert (run.classes, run.orders_assigned) == (2, 9)
    # The parts were solved by the worker, not here: its log has both part tasks and the gather.
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert text.count("activities.tasks.match_parts[") >= 2 and "activities.tasks.match_gather[" in text
