import os

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    # Real hashing costs ~0.3 s per password; tests only need it to be a hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "accounts.sms.LocmemSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Query counts are pinned with sessions read from the database; with Redis configured, production
    # reads them from the cache first (one query fewer), which would make the pins depend on the run.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    from accounts.sms import LocmemSMSBackend

    LocmemSMSBackend.outbox = []


@pytest.fixture(scope="session", autouse=True)
def _worker_cache():
    """Under pytest-xdist every worker has its own test database (pytest-django's `_gw<N>` suffix); this
    gives it its own Redis keys too (tests/worker_cache.py). Without Redis the cache is per process already."""
    from django.conf import settings
    from django.test.utils import override_settings

    default = settings.CACHES["default"]
    if not default["BACKEND"].endswith("RedisCache"):
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    own = {**default, "BACKEND": "tests.worker_cache.WorkerRedisCache"}
    own["KEY_PREFIX"] = f"{default.get('KEY_PREFIX') or 'cc'}-test-{os.getpid()}-{worker}"
    with override_settings(CACHES={**settings.CACHES, "default": own}):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
