"""Celery tasks of the dashboards: thin wrappers around `dashboards.services`, scheduled by beat.

Both are idempotent (a range of days is rebuilt from the source tables), so a beat that fires twice or a
retry after a lost worker does no harm.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

# One retry policy for every task that touches the database (ops/retry.py).
from ops.retry import DB_RETRY

from . import services


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def refresh_recent_rollups() -> int:
    """Every 15 minutes: the roll-ups of the weeks around today."""
    return services.rollups_refresh_recent().category_days


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def rebuild_rollups() -> int:
    """Nightly: every day's roll-ups (picks up late changes, such as a rating hidden weeks after the session)."""
    return services.rollups_refresh().category_days


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def recompute_college_stars(period: str | None = None) -> int:
    """Rate every college for `period` (ISO date of any day in the month); by default last month, which is
    what beat runs on the 1st. Recomputing a month replaces its records (idempotent).

    Here rather than in ratings: the figures come from every app through the dashboards (above ratings);
    `ratings.stars` holds the pure computation."""
    from ratings import stars

    month = date.fromisoformat(period) if period else stars.previous_month(timezone.localdate())
    return len(services.college_stars_recompute(period=month))
