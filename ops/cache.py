"""A Redis cache that fails soft: when Redis is unreachable the portal runs uncached instead of answering 500.

Reads miss (return the default), writes and deletes are dropped, `add` reports success (so cache-based
locks such as allauth's rate-limit lock do not block everyone for a second), `incr` raises ValueError
as for a missing key. Every failure is logged (at most once per FAIL_SOFT_QUIET_SECONDS per process) and
counted in `cc_cache_errors_total`, so a limit that relies on the cache is off loudly, not silently.

After a failure the backend rests for CACHE_FAIL_SOFT_REST_SECONDS: calls skip Redis entirely, so an
outage costs requests no connect timeouts. `ping()` and `available()` tell the truth for readiness and
for limits that must fail closed (see accounts' SMS code throttle).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_MISSING = object()


class FailSoftRedisCache(RedisCache):
    _down_since: float | None = None
    _logged_at: float = 0.0

    def _resting(self) -> bool:
        down = self._down_since
        return down is not None and time.monotonic() - down < settings.CACHE_FAIL_SOFT_REST_SECONDS

    def _failed(self, op: str, exc: BaseException) -> None:
        from .metrics import CACHE_ERRORS

        now = time.monotonic()
        self._down_since = now
        CACHE_ERRORS.labels(op=op).inc()
        if now - self._logged_at > settings.CACHE_FAIL_SOFT_QUIET_SECONDS:
            self._logged_at = now
            logger.warning(
                "cache unreachable (%s); running uncached, cache-based limits are open", type(exc).__name__
            )

    def _call(self, op: str, fallback, method, *args, **kwargs):
        import redis

        if self._resting():
            from .metrics import CACHE_ERRORS

            CACHE_ERRORS.labels(op=op).inc()
            return fallback
        try:
            result = method(*args, **kwargs)
        except (redis.RedisError, OSError) as exc:
            self._failed(op, exc)
            return fallback
        self._down_since = None
        return result

    def available(self) -> bool:
        """Whether Redis answers now (one PING unless the backend is resting after a failure)."""
        if self._resting():
            return False
        try:
            self.ping()
        except Exception:
            return False
        return True

    def ping(self) -> None:
        """One round trip to Redis; raises if it does not answer (for readiness)."""
        try:
            self._cache.get_client(write=True).ping()
        except Exception as exc:
            self._failed("ping", exc)
            raise
        self._down_since = None

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", True, super().add, key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, super().set, key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version=version)

    def incr(self, key, delta=1, version=None):
        result = self._call("incr", _MISSING, super().incr, key, delta, version=version)
        if result is _MISSING:
            raise ValueError(f"Key '{key}' not found (cache unreachable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            "set_many", list(data), super().set_many, data, timeout=timeout, version=version
        )

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version=version)

    def clear(self):
        return self._call("clear", False, super().clear)


def cache_available() -> bool:
    """Whether the default cache works now; True for caches that cannot be away (local memory)."""
    from django.core.cache import cache

    available = getattr(cache, "available", None)
    return True if available is None else available()
