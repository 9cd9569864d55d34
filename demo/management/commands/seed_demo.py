"""`manage.py seed_demo`: demo data for the district. The work is in `demo.seed`; this only parses."""

from django.core.management.base import BaseCommand, CommandError

from demo.seed import (
    CITY_SCALE,
    DEFAULT_SEED,
    SCALES,
    DemoDataError,
    database_has_data,
    demo_logins,
    format_logins,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with realistic demo data for 两江新区: streets, communities, colleges, the interest "
        "tree, venues, teachers, residents, groups, orders and a year of classes with attendance and ratings. "
        "Everything is written in one transaction, so a failed run leaves nothing behind. "
        "The database counts as non-empty when it holds any district, resident profile, venue, teacher or class "
        "(users alone, such as a superuser, do not count). A non-empty database is refused: seed a fresh "
        "database, or empty this one with `manage.py flush`. With --if-empty the command quietly does nothing "
        "instead (what `make run` uses). Every demo account has the password demo12345; one login per role is "
        "printed at the end (again with `manage.py demo_logins`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=[*SCALES, CITY_SCALE],
            default="street",
            help="street: one street, ~5,000 residents, seconds (the default). district: the programme's figures, "
            "250,000 residents, 10,000 orders, 1,000 groups, 600 venues, 750 teachers, 7,600 sessions held; "
            "a few minutes, meant for PostgreSQL. tiny: a few hundred rows of everything, for tests. "
            "city: --districts districts of district scale (4 is a million residents).",
        )
        parser.add_argument(
            "--districts",
            type=int,
            default=None,
            help="How many districts (default 1; 4 with --scale city). Each has the first one's shape, its own "
            "name, place, codes and demo logins (138kk0000ii for district kk ≥ 1).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already has data.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars on stderr.")
        parser.add_argument(
            "--no-logins", action="store_true", help="Do not print the demo logins (`make run` prints them itself)."
        )

    def handle(self, *args, scale, seed, districts, if_empty, no_progress, no_logins, verbosity, **options):
        if database_has_data():
            if if_empty:
                if verbosity:
                    self.stdout.write("The database already has data: nothing seeded.")
                return
            raise CommandError(
                "The database already has data (districts, residents, venues, teachers or classes). "
                "Seed a fresh database, or run `manage.py flush` first; `--if-empty` skips quietly."
            )
        try:
            if districts is None:
                districts = 4 if scale == CITY_SCALE else 1
            report = seed_demo(
                scale=scale, seed=seed, districts=districts, progress=verbosity > 0 and not no_progress
            )
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if not verbosity:
            return
        self.stdout.write(
            self.style.SUCCESS(f"Seeded scale {report.scale} (seed {report.seed}) in {report.seconds:.1f} s.")
        )
        if verbosity > 1:
            for label, seconds in report.stages.items():
                self.stdout.write(f"  {label:<16}{seconds:8.2f} s")
            for label, n in sorted(report.rows.items()):
                self.stdout.write(f"  {label:<40}{n:>10,}")
        if not no_logins:
            self.stdout.write("\nDemo logins (password for all: demo12345):\n" + format_logins(demo_logins()))
