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
