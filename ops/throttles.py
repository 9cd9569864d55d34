"""Limits that must fail closed when the cache is away (README "Running in production", per-limit table).

Most limits fail open during a cache outage, loudly (ops/cache.py logs and counts it): sign-in attempts
stay limited by django-axes, which counts failures in the database. Sending an SMS code cannot: the code
itself lives in the cache, and an uncounted SMS costs money and can pester a number. So while the cache
is away, asking for a code answers 503 and residents sign in with their password (or wait a minute).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from .cache import cache_available


class TemporarilyUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = _("Sign-in codes cannot be sent for a moment. Sign in with your password, or try again in a minute.")


class CacheRequired(BaseThrottle):
    """Refuses (503) while the cache is unreachable, instead of letting the limits behind it open."""

    def allow_request(self, request, view) -> bool:
        if not cache_available():
            raise TemporarilyUnavailable()
        return True
