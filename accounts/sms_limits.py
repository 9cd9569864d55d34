"""How long a number must wait before it may be sent another code, read from allauth's own rate limits.

allauth only answers "allowed or not"; a resident at a community centre needs "try again in 25 seconds".
The wait is read from the same cache entries allauth's `ratelimit.consume` writes, so the two never
disagree. This reads allauth internals (`get_rates`, `get_cache_key`), pinned by
tests/portal/interests/test_first_use.py.
"""

from __future__ import annotations

import math
import time

from allauth.core.internal import ratelimit as _allauth_ratelimit
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def sms_wait_seconds(request: HttpRequest, *, action: str, key: str) -> int:
    """Seconds until `action` (e.g. "verify_phone") may run again for `key`; 0 when it may run now."""
    now = time.time()
    wait = 0.0
    for rate in _allauth_ratelimit.get_rates(app="allauth.account", action=action):
        if rate.per == "user" and not request.user.is_authenticated:
            continue
        cache_key = _allauth_ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            # History is newest first: the hit that has to expire is the amount-th newest.
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait) if wait > 0 else 0


def wait_phrase(seconds: int) -> str:
    """ "30 seconds", "2 minutes": the wait as a resident reads it."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def retry_message(seconds: int) -> str:
    return _("No code was sent: this number was just sent one. Try again in %(wait)s.") % {
        "wait": wait_phrase(max(seconds, 1))
    }
