"""django-axes for the API's sign-ins: the same lockout as the sign-in page, answered in the API's error shape.

Axes marks a locked-out request and its middleware then swaps whatever the view answered for the HTML
lockout page; an app client needs JSON, so these helpers raise `LockedOut` instead and clear the mark.
Both API sign-ins (password and SMS code) count failures under the same identifier, the normalised mobile
number (or e-mail), so five failures by either lock both.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from community_college.exceptions import LockedOut


def _cool_off_seconds(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def _raise_locked(request: HttpRequest) -> None:
    # Answered here in JSON; without this the middleware would answer the HTML page.
    request.axes_locked_out = False
    raise LockedOut(wait=_cool_off_seconds(request))


def credentials_for(login: str) -> dict:
    return {"username": login}


def refuse_if_locked(request: HttpRequest, *, login: str) -> None:
    """Raise LockedOut when axes already locks `login` from this address (before any check is made)."""
    if getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(
        request, credentials_for(login)
    ):
        _raise_locked(request)


def record_failure(request: HttpRequest, *, login: str) -> None:
    """Count a failed sign-in with axes; raise LockedOut when that failure was the one too many."""
    user_login_failed.send(sender=__name__, credentials=credentials_for(login), request=request)
    if getattr(request, "axes_locked_out", False):
        _raise_locked(request)


def raise_if_locked_by_authenticate(request: HttpRequest) -> None:
    """After django.contrib.auth.authenticate() returned None: was it axes refusing a locked-out client?"""
    if getattr(request, "axes_locked_out", False):
        _raise_locked(request)


def record_success(request: HttpRequest, *, user) -> None:
    """A successful sign-in: axes clears the failures (AXES_RESET_ON_SUCCESS), last_login is set."""
    user_logged_in.send(sender=type(user), request=request, user=user)
