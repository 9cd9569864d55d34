"""API tokens: made with a secret shown once, listed and revoked by their owner. API-only writes.

Two ways to sign in from an app, both counted by django-axes under the mobile number (see `lockout`):
a password (`TokenViewSet.create`) or a one-time code sent by SMS (`api_token_sign_in_with_code`).
"""

from __future__ import annotations

import secrets

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions

from accounts import codes
from accounts.models import ApiToken, User
from accounts.services import needs_phone_verification, phone_mark_verified

from . import lockout
from .authentication import digest_of


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with its secret, which is stored only as a digest."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip()[:60], prefix=secret[:8], digest=digest_of(secret), created=timezone.now()
    )
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()


class PhoneNotVerified(exceptions.PermissionDenied):
    """The password is right but the mobile number was never verified: the web would ask for a code first."""

    default_code = "phone_unverified"
    default_detail = _lazy(
        "Verify your mobile number first: sign in with a code sent by SMS (POST /api/v1/auth/codes/)."
    )


def api_token_sign_in_with_password(
    *, request: HttpRequest, login: str, password: str, name: str
) -> tuple[ApiToken, str]:
    """Exchange a mobile number (or e-mail) and password for a token, on the same terms as the sign-in page.

    The page signs nobody in whose mobile number is unverified: it sends a code and waits for it
    (allauth's phone verification stage). An app cannot be sent through that page, so the account is
    refused here with `phone_unverified`; the SMS sign-in then verifies the number, as the page's code
    sign-in does. Failures count with axes through `authenticate` (the sign-in page's backends).
    """
    user = authenticate(request, username=login, password=password)
    if user is None:
        lockout.raise_if_locked_by_authenticate(request)
        raise exceptions.AuthenticationFailed(_("The mobile number or the password is wrong."))
    if needs_phone_verification(user):
        raise PhoneNotVerified()
    lockout.record_success(request, user=user)
    return api_token_create(user=user, name=name)


def api_token_sign_in_with_code(
    *, request: HttpRequest, phone: str, code: str, name: str
) -> tuple[ApiToken, str]:
    """Exchange a code sent by SMS for a token. Only existing residents sign in this way: an app signs up
    through the browser, where allauth checks the number and takes the consents.

    A wrong, expired or used code is one failure for axes; the failure that reaches the limit, and every
    attempt while locked, raise LockedOut (429), whatever the code.
    """
    lockout.refuse_if_locked(request, login=phone)
    verdict = codes.sign_in_code_check(phone=phone, code=code)
    if verdict.outcome != codes.CodeCheck.OK:
        lockout.record_failure(request, login=phone)
        raise exceptions.AuthenticationFailed(
            _("The code is wrong, used or expired. Ask for a new one."), code="invalid_code"
        )
    if needs_phone_verification(verdict.user):
        # The code reached this number: it is verified, as allauth's code sign-in on the web verifies it.
        phone_mark_verified(user=verdict.user)
    lockout.record_success(request, user=verdict.user)
    return api_token_create(user=verdict.user, name=name)
