"""`manage.py rollups [--from DAY] [--to DAY]`: rebuild the dashboards' daily roll-ups (all days by default)."""

from datetime import date

from django.core.management.base import BaseCommand

from dashboards.services import rollups_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the dashboards' daily roll-ups from the source tables: every day by default (as the nightly "
        "task does), or the local days --from … --to (inclusive). Run it once after loading data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="Last day, YYYY-MM-DD.")

    def handle(self, *args, start, end, verbosity, **options):
        report = rollups_refresh(start=start, end=end)
        if verbosity:
            self.stdout.write(
                f"{report.category_days:,} interest-days and {report.community_days:,} community-days in {report.seconds:.1f} s."
            )
