"""API tokens: made with a secret shown once, listed and revoked by their owner. API-only writes."""

from __future__ import annotations

import secrets

from django.utils import timezone

from accounts.models import ApiToken, User

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
