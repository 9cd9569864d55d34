"""A valid API token in use is trusted from the cache for a minute: a burst of an app's requests reads and
writes no token row after its first two; a token's first use (an app's only request, often) leaves the cache
alone; revoking a token or saving its user takes effect on the very next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api.services import api_token_create, api_token_revoke
from accounts.models import ApiToken
from tests.factories import ResidentFactory

TOKENS = "/api/v1/auth/tokens/"


def _get(secret: str):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(TOKENS, HTTP_AUTHORIZATION=f"Token {secret}")
    # On PostgreSQL the token is read by a prepared statement (community_college/prepared.py): its EXECUTE
    # is the read; the PREPARE, once per connection, reads nothing.
    token_queries = [
        sql
        for sql in (q["sql"] for q in ctx.captured_queries)
        if not sql.startswith("PREPARE ") and ("accounts_apitoken" in sql or sql.startswith("EXECUTE accounts_token"))
    ]
    return response, token_queries


@pytest.fixture
def two_residents(db):
    return ResidentFactory(), ResidentFactory()


def _cached(secret: str):
    from django.core.cache import cache

    from accounts.api.authentication import _token_key, digest_of

    return cache.get(_token_key(digest_of(secret)))


def test_the_third_request_reads_and_writes_no_token_row(two_residents):
    owner, _other = two_residents
    token, secret = api_token_create(user=owner, name="phone")
    first, first_queries = _get(secret)
    stamped = ApiToken.objects.get(pk=token.pk).last_used
    second, second_queries = _get(secret)
    third, third_queries = _get(secret)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 200)
    assert [row["id"] for row in third.json()] == [token.pk]
    # First: the lookup, the last_used write (PostgreSQL: both in one statement), and the list itself; then
    # the lookup of a token in use (no write) and the list; then the list alone.
    assert len(first_queries) == (2 if connection.vendor == "postgresql" else 3)
    assert len(second_queries) == 2
    assert len(third_queries) == 1
    # No write after the first: the row says so (on PostgreSQL the read is one conditional statement whose text
    # names its UPDATE, sent as text behind PgBouncer, so the statements' text cannot tell).
    assert stamped is not None
    assert ApiToken.objects.get(pk=token.pk).last_used == stamped


def test_a_tokens_first_use_leaves_the_cache_alone_and_its_second_fills_it(two_residents):
    owner, _other = two_residents
    token, secret = api_token_create(user=owner, name="phone")
    assert _get(secret)[0].status_code == 200
    assert _cached(secret) is None
    assert _get(secret)[0].status_code == 200
    user, cached_token, _generation = _cached(secret)
    assert (user.pk, cached_token.pk) == (owner.pk, token.pk)


def test_a_token_idle_for_over_a_minute_is_read_afresh_and_not_cached(two_residents):
    owner, _other = two_residents
    _token, secret = api_token_create(user=owner, name="phone")
    _get(secret)
    ApiToken.objects.filter(user=owner).update(last_used=timezone.now() - timedelta(minutes=5))
    assert _get(secret)[0].status_code == 200
    assert _cached(secret) is None
    assert timezone.now() - ApiToken.objects.get(user=owner).last_used < timedelta(minutes=1)


def test_a_revoked_token_is_refused_at_once_and_the_owners_other_token_still_works(two_residents):
    owner, other = two_residents
    phone, phone_secret = api_token_create(user=owner, name="phone")
    _tablet, tablet_secret = api_token_create(user=owner, name="tablet")
    _theirs, their_secret = api_token_create(user=other, name="phone")
    for secret in (phone_secret, tablet_secret, their_secret) * 2:
        assert _get(secret)[0].status_code == 200
    assert all(_cached(s) is not None for s in (phone_secret, tablet_secret, their_secret))
    api_token_revoke(token=phone)
    refused, _ = _get(phone_secret)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked token."
    assert _get(tablet_secret)[0].status_code == 200
    assert _get(their_secret)[0].status_code == 200


def test_a_token_deleted_with_its_user_is_refused(two_residents):
    owner, other = two_residents
    _token, secret = api_token_create(user=owner, name="phone")
    _theirs, their_secret = api_token_create(user=other, name="phone")
    for _ in range(2):
        assert _get(secret)[0].status_code == 200
    assert _cached(secret) is not None
    owner.delete()
    assert _get(secret)[0].status_code == 401
    assert _get(their_secret)[0].status_code == 200


def test_a_deactivated_user_is_refused_at_once(two_residents):
    owner, other = two_residents
    _token, secret = api_token_create(user=owner, name="phone")
    _theirs, their_secret = api_token_create(user=other, name="phone")
    for _ in range(2):
        assert _get(secret)[0].status_code == 200
        assert _get(their_secret)[0].status_code == 200
    owner.is_active = False
    owner.save()
    assert _get(secret)[0].status_code == 401
    _response, their_queries = _get(their_secret)
    assert their_queries == [q for q in their_queries if "UPDATE" not in q]
    assert len(their_queries) == 1  # the other user's token is still served from the cache


def test_last_used_is_written_at_most_once_a_minute(two_residents):
    owner, _other = two_residents
    token, secret = api_token_create(user=owner, name="phone")
    _get(secret)
    token.refresh_from_db()
    first_use = token.last_used
    assert first_use is not None
    _get(secret)
    token.refresh_from_db()
    assert token.last_used == first_use


def test_without_the_cache_every_request_reads_the_row(two_residents, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    owner, _other = two_residents
    _token, secret = api_token_create(user=owner, name="phone")
    _get(secret)
    ApiToken.objects.filter(user=owner).update(last_used=timezone.now() - timedelta(minutes=5))
    _response, queries = _get(secret)
    # lookup, the last_used write (five minutes old; PostgreSQL: in the lookup's statement), the list
    assert len(queries) == (2 if connection.vendor == "postgresql" else 3)
    stamped = ApiToken.objects.get(user=owner).last_used
    assert timezone.now() - stamped < timedelta(minutes=1)
    # A minute has not passed: read again, not written again.
    _response, queries = _get(secret)
    assert ApiToken.objects.get(user=owner).last_used == stamped
    assert len(queries) == 2
