"""Read-heavy pages may read from a PostgreSQL streaming replica; everything else reads the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` alias and this router sends a read there only when
all of these hold:

- the request's path is one of REPLICA_READ_PATHS (dashboards, the staff API's lists — pages that only read
  and tolerate a second of lag) and its method is safe (GET/HEAD), or code opted in with `replica_reads()`;
- the client wrote nothing recently: a write (any unsafe request) pins that browser to the primary for
  REPLICA_PIN_SECONDS by a cookie, so a resident or official always sees what they just did (read your
  writes across the redirect that follows a form);
- nothing in this request has written yet, and no transaction is open on the primary (a read inside a
  transaction must see that transaction's rows).

Writes always go to the primary; migrations run on the primary only (the replica replays them). The pin
cookie can only move a client's reads to the primary, never away from it, so a forged or replayed cookie
costs at most a little primary load.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "cc_primary"

_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads(*, pinned: bool = False):
    """Reads inside the block may go to the replica (unless `pinned`, or once something writes)."""
    allowed = _replica_allowed.set(True)
    pin = _pinned.set(pinned)
    try:
        yield
    finally:
        _pinned.reset(pin)
        _replica_allowed.reset(allowed)


def pinned_to_primary() -> bool:
    return _pinned.get()


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _replica_allowed.get() or _pinned.get() or not replica_configured():
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        # Whatever this request reads after a write must see it: the rest of the request stays on the primary.
        if _replica_allowed.get():
            _pinned.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Opens `replica_reads()` around the read-only pages and keeps writers on the primary for a while."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        if safe and request.path.startswith(tuple(settings.REPLICA_READ_PATHS)):
            with replica_reads(pinned=PIN_COOKIE in request.COOKIES):
                response = self.get_response(request)
                wrote = pinned_to_primary() and PIN_COOKIE not in request.COOKIES
        else:
            response = self.get_response(request)
            wrote = not safe
        if wrote and response.status_code < 500:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
