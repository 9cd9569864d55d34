"""The SQL the rating scores send to PostgreSQL, checked on any database: the test and mutation runs use
SQLite, where `AgeInDays.as_postgresql` never runs, so a wrong sign, unit or cast there would only show on a
PostgreSQL deployment. (The PostgreSQL CI run executes it too; this pins the text.)"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.db import NotSupportedError
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.models import F

from ratings.models import SessionRating
from ratings.scores import AgeInDays

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _postgresql():
    """A PostgreSQL connection object that is never opened: only its compiler and operations are used."""
    return DatabaseWrapper(
        {
            "NAME": "never-opened", "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "OPTIONS": {},
            "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False, "TEST": {},
        },
        alias="never-opened",
    )


def test_age_in_days_on_postgresql_is_now_minus_created_in_fractional_days():
    queryset = SessionRating.objects.annotate(age=AgeInDays(F("created"), NOW)).values("age").order_by()
    sql, params = queryset.query.get_compiler(connection=_postgresql()).as_sql()
    assert sql == (
        'SELECT (EXTRACT(EPOCH FROM (%s - "ratings_sessionrating"."created"))::double precision / 86400.0) AS "age" '
        'FROM "ratings_sessionrating"'
    )
    assert params == (NOW,)


def test_age_in_days_refuses_a_database_it_does_not_know():
    with pytest.raises(NotSupportedError, match="AgeInDays is not implemented for mysql"):
        AgeInDays(F("created"), NOW).as_sql(compiler=None, connection=SimpleNamespace(vendor="mysql"))
