"""The Redis cache as each pytest-xdist worker sees it: its own key prefix, and a `clear()` that removes
only that prefix's keys.

Django's `RedisCache.clear()` is FLUSHDB. The suite clears the cache around every test (tests/conftest.py),
so with two workers on one Redis database each would wipe the other's rate-limit counters, cached tokens
and locks in the middle of a test. Separate databases per worker would run out at 16 (and this machine's
Redis is shared with other checkouts); a prefix per worker scales to any `-n`.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache


class WorkerRedisCache(RedisCache):
    def clear(self) -> bool:
        client = self._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        return True
