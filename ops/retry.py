"""The one retry policy of every Celery task that touches the database.

A database that is briefly away (a restart, a failover, too many connections, a terminated backend)
is worth a few tries with exponential backoff and jitter: 5 s, 10 s, 20 s … at most 600 s, five times.
Celery's own limit is what ends it; the tasks are idempotent, so a retry after a partial run is safe
(their writes are atomic: a retried task starts from a clean state).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

DB_RETRY = {
    # Only the errors a retry can cure: a lost or refused connection, a deadlock, a timeout. An
    # IntegrityError or a ProgrammingError would fail the same way five times.
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}
