"""`manage.py college_stars --month YYYY-MM [--through YYYY-MM]`: compute the college star rating."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.services import college_stars_recompute
from ratings import stars


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise CommandError(f"Not a month: {value!r} (expected YYYY-MM).") from exc


class Command(BaseCommand):
    help = (
        "Rate every college for a month (default: last month, what the monthly task does), or for each month "
        "from --month to --through in order (each month's move reads the month before)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default last month.")
        parser.add_argument("--through", help="YYYY-MM: rate every month from --month to this one, in order.")

    def handle(self, *args, month, through, verbosity, **options):
        first = _month(month) if month else stars.previous_month(timezone.localdate())
        last = _month(through) if through else first
        if last < first:
            raise CommandError("--through is before --month.")
        period = first
        while period <= last:
            records = college_stars_recompute(period=period)
            if verbosity:
                levels = {n: sum(1 for r in records if r.stars == n) for n in range(1, 6)}
                shown = ", ".join(f"{n}★ {levels[n]}" for n in range(5, 0, -1))
                self.stdout.write(f"{period:%Y-%m}: {len(records)} colleges rated ({shown}).")
            period = stars.next_month(period)
