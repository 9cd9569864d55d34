import pytest


@pytest.fixture(autouse=True)
def _eager_celery(eager_celery):
    """Tasks enqueued through the outbox run in-process, even when REDIS_URL is set for the PostgreSQL run."""
