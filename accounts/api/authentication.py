"""Token authentication for app clients: `Authorization: Token <secret>`, checked against a SHA-256.

A token in use (its last use within the last minute) is remembered in the cache for `API_TOKEN_CACHE_SECONDS`
(one minute by default), so that an app's requests in a burst neither read the token row nor write to it.
A token's first use, or its first after a minute, reads the row and leaves the cache alone: most such
requests are an app's only one (at a class's opening, each resident's), and filling the cache cost two of
their three round trips to Redis (issue 20). What keeps the cache safe:

- revocation (and any other deletion: the user's account, the admin) leaves a tombstone under the token's
  key at once and again when the deletion commits; a request that read the token just before cannot put it
  back, because the cache is only ever filled with `add` (never over a tombstone);
- any save of the user (deactivated, renamed, another language) moves the user's generation, and a cached
  token of an older generation is read afresh from the database;
- `last_used` is written when the row is read and is over a minute old, as before: at most once a minute.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from community_college import prepared

# Writing last_used on every request would turn each read into a write; once a minute is enough to list.
LAST_USED_RESOLUTION = timedelta(minutes=1)
REVOKED = "revoked"


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _seconds() -> int:
    return int(getattr(settings, "API_TOKEN_CACHE_SECONDS", 60))


def _token_key(digest: str) -> str:
    return f"api-token:{digest}"


def _generation_key(user_id: int) -> str:
    return f"api-token-user:{user_id}"


def forget_token(digest: str) -> None:
    """Leave a tombstone for a deleted token: no cached copy of it authenticates any more."""
    seconds = _seconds()
    if seconds > 0:
        cache.set(_token_key(digest), REVOKED, seconds)


def forget_user(user_id: int) -> None:
    """A new generation for the user: tokens cached before this are read from the database again."""
    seconds = _seconds()
    if seconds > 0:
        # Outlives every entry filled under the old generation, which lasts `seconds` at most.
        cache.set(_generation_key(user_id), uuid.uuid4().hex, 2 * seconds)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        digest = digest_of(key)
        seconds = _seconds()
        if seconds <= 0:
            return self._from_database(digest)
        cached = cache.get(_token_key(digest))
        if cached == REVOKED:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if cached is not None:
            user, token, generation = cached
            if cache.get(_generation_key(user.pk)) == generation:
                return user, token
        user, token, in_use = self._from_database(digest, with_use=True)
        if not in_use:
            # The token's first use, or its first after a minute or more: most never come back within the
            # minute (a resident's app at a class's opening sends one request), so filling the cache (two
            # more round trips to it) waits for the next request, which finds last_used within the minute.
            return user, token
        # Read right after the row: a save of the user landing between the two reads (a window of a
        # round trip) would leave this copy in use for `seconds` at most.
        user_generation = cache.get(_generation_key(user.pk))
        cache.add(_token_key(digest), (user, token, user_generation), seconds)
        return user, token

    @staticmethod
    def _from_database(digest: str, *, with_use: bool = False):
        """The token's user and the token; `with_use`: and whether the token was in use (last_used within
        LAST_USED_RESOLUTION, so not stamped now)."""
        from django.db import connection

        now = timezone.now()
        if connection.vendor == "postgresql":
            token, stamped = _read_and_stamp(digest, now)
        else:
            token = ApiToken.objects.select_related("user").filter(digest=digest).first()
            stamped = token is not None and (
                token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION
            )
            if stamped:
                _note_used(token.pk, now)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return (token.user, token, not stamped) if with_use else (token.user, token)


_READ_AND_STAMP = """
WITH t AS (
    SELECT {token_columns}, {user_columns}
    FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id
    WHERE t.digest = %(digest)s
),
stamp AS (
    UPDATE {token_table} AS a SET last_used = %(now)s
    FROM t
    WHERE a.id = t.id AND (t.last_used IS NULL OR t.last_used < %(stale)s) {async_commit}
    RETURNING a.id
)
SELECT t.*, (SELECT count(*) FROM stamp) FROM t
"""
# In autocommit the statement is its own transaction: its commit need not wait for the WAL flush (a stamp
# lost in a crash is a time that is only ever listed), as _note_used's own transaction does. Inside a
# caller's transaction the setting would reach the caller's commit, so it is left out there.
_ASYNC_COMMIT = "AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
_read_and_stamp_sql: dict[bool, prepared.Statement] = {}


def _read_and_stamp(digest: str, now) -> tuple[ApiToken | None, bool]:
    """PostgreSQL: the token with its user, and its last_used stamped when over a minute old, in one round
    trip (a resident's app at a class's opening sends one request: read and stamp were two); and whether it
    was stamped now."""
    from django.db import connection

    from accounts.models import User

    own = connection.get_autocommit() and not connection.in_atomic_block
    stmt = _read_and_stamp_sql.get(own)
    if stmt is None:
        # Prepared once per connection (community_college/prepared.py): its planning cost more than its run.
        stmt = _read_and_stamp_sql[own] = prepared.statement(
            f"accounts_token_read_and_stamp{'_own' if own else ''}",
            _READ_AND_STAMP.format(
                token_columns=", ".join(f"t.{f.column}" for f in ApiToken._meta.concrete_fields),
                user_columns=", ".join(f"u.{f.column} AS u_{f.column}" for f in User._meta.concrete_fields),
                token_table=ApiToken._meta.db_table,
                user_table=User._meta.db_table,
                async_commit=_ASYNC_COMMIT if own else "",
            ),
            {"digest": "varchar", "now": "timestamptz", "stale": "timestamptz"},
        )
    with connection.cursor() as cursor:
        prepared.execute(
            connection, cursor, stmt, {"digest": digest, "now": now, "stale": now - LAST_USED_RESOLUTION}
        )
        row = cursor.fetchone()
    if row is None:
        return None, False
    n = len(ApiToken._meta.concrete_fields)
    token = prepared.instance(connection, ApiToken, row[:n])
    user = prepared.instance(connection, User, row[n:-1])
    if row[-1]:
        token.last_used = now
    token.user = user
    return token, bool(row[-1])


def _note_used(pk: int, now) -> None:
    """A conditional UPDATE of last_used: concurrent requests of one app do not fight over the row.

    On PostgreSQL outside a transaction it is one round trip that does not wait for the WAL flush: an app's
    first request after a minute (every request, when each resident's app sends one at a class's opening)
    should not wait for a disk to record a time that is only ever listed. A crash may lose the last
    second's stamps; nothing depends on them."""
    from django.db import connection

    if connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "BEGIN; SET LOCAL synchronous_commit TO OFF;"
                    f" UPDATE {ApiToken._meta.db_table} SET last_used = %s WHERE id = %s; COMMIT",
                    [now, pk],
                )
        except Exception:
            # The string's own transaction is left aborted: end it, so the connection is usable again.
            if connection.connection is not None and not connection.connection.closed:
                connection.connection.rollback()
            raise
        return
    ApiToken.objects.filter(pk=pk).update(last_used=now)


def token_deleted(sender, instance: ApiToken, **kwargs) -> None:
    """post_delete of ApiToken: forget it now, and again once the deletion commits (a request that read the
    row before the commit may have cached it meanwhile)."""
    digest = instance.digest
    forget_token(digest)
    transaction.on_commit(lambda: forget_token(digest))


def user_saved(sender, instance, **kwargs) -> None:
    """post_save of User: cached tokens of the user are read afresh (deactivation takes effect at once)."""
    user_id = instance.pk
    forget_user(user_id)
    transaction.on_commit(lambda: forget_user(user_id))


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication: `Token <secret>` (POST /api/v1/auth/tokens/).",
        }
