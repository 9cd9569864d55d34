"""Benchmark: server time and query count of every dashboard page, on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/dashboards.py [--runs 20]

Meant for district-scale demo data (`manage.py seed_demo --scale district`: 250,000 residents, a year of
sessions, attendance and ratings) on PostgreSQL. What it does:

1. migrates, and refuses to run on an empty database (seed it first);
2. ANALYZE on PostgreSQL (a freshly seeded database has no planner statistics yet; autovacuum would get
   there on its own), then rebuilds the daily roll-ups and rates the colleges for the last six months as
   the beat tasks would, and prints how long those took; then VACUUM ANALYZE of the rebuilt roll-ups;
3. signs in the demo district office, a street office and a community (one session each, not timed);
4. loads each page `--runs` times through Django's test Client (the whole request: middleware, session,
   scope, queries, template; no network), twice over:
   - cold: the dashboards' cache generation is bumped before every load, so every load runs all its
     aggregate queries (what the first visitor after a roll-up refresh pays);
   - warm: the figures come from the cache (what everyone else pays for five minutes);
5. prints p50 and p95 in milliseconds and the queries of one load, and exits 1 if a cold p95 exceeds
   `--budget` ms (300 by default).

Timings are this machine's; DEBUG is switched off after start-up so that Django does not keep a log of
every query, as in production.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="loads per page and mode (default 20)")
    parser.add_argument("--budget", type=float, default=300.0, help="cold p95 budget in ms (default 300)")
    parser.add_argument("--skip-setup", action="store_true", help="no ANALYZE, roll-up rebuild or star computation")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from accounts.enums import Role
    from accounts.models import College, RoleAssignment
    from dashboards import services
    from interests.models import ResidentProfile
    from ratings import stars

    call_command("migrate", verbosity=0)
    residents = ResidentProfile.objects.count()
    if not residents:
        print("The database is empty: run `manage.py seed_demo --scale district` first.", file=sys.stderr)
        return 2
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, {residents:,} residents")

    if not args.skip_setup:
        if connection.vendor == "postgresql":
            began = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"ANALYZE: {time.perf_counter() - began:.1f} s")
        report = services.rollups_refresh()
        print(f"roll-ups rebuilt: {report.category_days:,} interest-days in {report.seconds:.2f} s")
        report = services.rollups_refresh_recent()
        print(f"recent roll-ups (every 15 min): {report.category_days:,} interest-days in {report.seconds:.2f} s")
        month = stars.previous_month(timezone.localdate())
        months = [month]
        for _ in range(5):
            months.insert(0, stars.previous_month(months[0]))
        spent = []
        for period in months:
            began = time.perf_counter()
            services.college_stars_recompute(period=period)
            spent.append(time.perf_counter() - began)
        print(f"star rating of {College.objects.count()} colleges: {statistics.mean(spent):.2f} s a month "
              f"({months[0]:%Y-%m} to {months[-1]:%Y-%m})")
        if connection.vendor == "postgresql":
            # The rebuild swapped every roll-up row: without a vacuum (autovacuum may be off or behind) each run
            # would scan the dead rows of all the runs before it, and the planner would still count the rows
            # the ANALYZE above saw.
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for table in ("dashboards_categoryday", "dashboards_communityday", "dashboards_residentactivity"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
            print(f"VACUUM ANALYZE of the roll-ups: {time.perf_counter() - began:.1f} s")

    settings.DEBUG = False
    # The roll-ups were just built; no on-demand refresh (development without beat) inside a timed load.
    settings.DASHBOARDS_REFRESH_ON_DEMAND = False
    users = {}
    for label, role in (("district", Role.DISTRICT_OFFICE), ("street", Role.STREET_STAFF), ("community", Role.COMMUNITY_STAFF)):
        assignment = RoleAssignment.objects.filter(role=role).select_related("user").order_by("id").first()
        if assignment:
            client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            client.force_login(assignment.user, backend="accounts.backends.PhoneOrEmailBackend")
            users[label] = client
    if "district" not in users:
        print("No district office user: seed_demo creates one.", file=sys.stderr)
        return 2
    college = College.objects.order_by("id").first()

    cases = [
        ("overview", "district", reverse("dashboards:overview")),
        ("overview, 12 months", "district", reverse("dashboards:overview") + "?period=year"),
        ("demand", "district", reverse("dashboards:demand")),
        ("demand, 12 months", "district", reverse("dashboards:demand") + "?period=year"),
        ("venues", "district", reverse("dashboards:venues")),
        ("venues, 12 months", "district", reverse("dashboards:venues") + "?period=year"),
        ("teachers", "district", reverse("dashboards:teachers")),
        ("teachers, 12 months", "district", reverse("dashboards:teachers") + "?period=year"),
        ("stars", "district", reverse("dashboards:stars")),
        ("college", "district", reverse("dashboards:college", args=[college.pk])),
        ("overview export .xlsx", "district", reverse("dashboards:overview_xlsx")),
        ("teachers export .xlsx", "district", reverse("dashboards:teachers_xlsx") + "?period=year"),
        ("overview", "street", reverse("dashboards:overview")),
        ("teachers", "street", reverse("dashboards:teachers")),
        ("overview", "community", reverse("dashboards:overview")),
    ]
    # One load of each first: imports, template compilation and connection set-up are not what we measure.
    for _name, who, url in cases:
        if who in users:
            users[who].get(url)

    header = f"{'page':<24}{'as':<11}{'cold p50':>9}{'cold p95':>9}{'warm p50':>9}{'warm p95':>9}{'queries':>9}"
    print(f"\n{args.runs} loads each, server time in ms (Django test Client, no network)\n{header}\n{'-' * len(header)}")
    over = []
    for name, who, url in cases:
        client = users.get(who)
        if client is None:
            continue
        cold, warm = [], []
        for _ in range(args.runs):
            services.bump_generation()
            began = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        for _ in range(args.runs):
            began = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - began) * 1000)
        services.bump_generation()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = percentile(cold, 0.95)
        if p95 > args.budget:
            over.append(f"{name} ({who})")
        print(f"{name:<24}{who:<11}{statistics.median(cold):>9.1f}{p95:>9.1f}"
              f"{statistics.median(warm):>9.1f}{percentile(warm, 0.95):>9.1f}{len(queries):>9}")
    if over:
        print(f"\nover the {args.budget:.0f} ms budget (cold p95): {', '.join(over)}")
        return 1
    print(f"\nevery page within {args.budget:.0f} ms (cold p95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
