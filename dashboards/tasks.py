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


def _fan_out(task, district_id: int | None) -> list[int] | None:
    """A city (several districts): the district ids after sending one `task` per district as a group, so the
    workers rebuild the districts side by side and a lost worker costs one district's retry. One district (or
    a task already given its district): None, the caller does the work itself."""
    from celery import group

    from accounts.models import District

    if district_id is not None:
        return None
    districts = list(District.objects.order_by("pk").values_list("pk", flat=True))
    if len(districts) < 2:
        return None
    group(task.s(pk) for pk in districts).apply_async()
    return districts


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def refresh_recent_rollups(district_id: int | None = None) -> int:
    """Every 15 minutes: the roll-ups of the weeks around today (a city: one task per district)."""
    sent = _fan_out(refresh_recent_rollups, district_id)
    if sent is not None:
        return len(sent)
    ids = services.district_community_ids(district_id) if district_id is not None else None
    return services.rollups_refresh_recent(community_ids=ids).category_days


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def rebuild_rollups(district_id: int | None = None) -> int:
    """Nightly: every day's roll-ups (picks up late changes, such as a rating hidden weeks after the session);
    a city: one task per district, each rebuilding its district's rows (the count of tasks is returned)."""
    sent = _fan_out(rebuild_rollups, district_id)
    if sent is not None:
        return len(sent)
    ids = services.district_community_ids(district_id) if district_id is not None else None
    return services.rollups_refresh(community_ids=ids).category_days


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def recompute_college_stars(period: str | None = None) -> int:
    """Rate every college for `period` (ISO date of any day in the month); by default last month, which is
    what beat runs on the 1st. Recomputing a month replaces its records (idempotent).

    Here rather than in ratings: the figures come from every app through the dashboards (above ratings);
    `ratings.stars` holds the pure computation."""
    from ratings import stars

    month = date.fromisoformat(period) if period else stars.previous_month(timezone.localdate())
    return len(services.college_stars_recompute(period=month))
