import pytest


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks enqueued through the outbox run in-process, even when REDIS_URL is set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
