"""Kombu's Redis transport without redis-py's own connection retries.

redis-py (6+) retries a refused connection three times with a backoff of about a second, inside every
publish: a request that publishes while Redis is down would wait ~2.5 s for nothing. Kombu already
decides when to reconnect (the worker's consumer loop, a publish's retry policy), so the client-level
retries only add waiting. Named in CELERY_BROKER_TRANSPORT when the broker is Redis.
"""

from kombu.transport import redis as kombu_redis
from redis.backoff import NoBackoff
from redis.retry import Retry


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        params = super()._connparams(asynchronous)
        params.setdefault("retry", Retry(NoBackoff(), 0))
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel
