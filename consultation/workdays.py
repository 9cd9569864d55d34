"""Deadlines in working days: Monday to Friday, minus public holidays, plus weekend days worked in
exchange (调休), as listed in `WorkdayException`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone


def add_working_days(start: datetime, days: int, exceptions: dict[date, bool] | None = None) -> datetime:
    """The moment `days` working days after `start`, at the same local time of day.

    `exceptions` maps dates to whether they are working days; None reads them from the database.
    """
    if exceptions is None:
        from .models import WorkdayException

        horizon = timezone.localtime(start).date()
        exceptions = dict(
            WorkdayException.objects.filter(date__gte=horizon, date__lte=horizon + timedelta(days=days * 3 + 30))
            .values_list("date", "is_working_day")
        )
    local = timezone.localtime(start)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        working = exceptions.get(day, day.weekday() < 5)
        if working:
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)
