"""Celery tasks of ratings: the monthly college star rating. A thin wrapper: the work is in
`dashboards.services.college_stars_recompute` (figures from every app, the published standard) and
`ratings.stars` (the pure computation)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from ops.retry import DB_RETRY

from . import stars


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def recompute_college_stars(period: str | None = None) -> int:
    """Rate every college for `period` (ISO date of any day in the month); by default last month, which is
    what beat runs on the 1st. Recomputing a month replaces its records (idempotent)."""
    from dashboards.services import college_stars_recompute

    month = date.fromisoformat(period) if period else stars.previous_month(timezone.localdate())
    return len(college_stars_recompute(period=month))
