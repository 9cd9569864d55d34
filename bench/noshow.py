"""Benchmark: the reconfirmation sweep (no-shows) over one day's sessions, on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_noshow .venv/bin/python bench/noshow.py [--day 2026-12-09]

Meant for district-scale demo data (`manage.py seed_demo --scale district`). For the busiest coming day (or
`--day`) it runs, as the beat and its tasks would, and prints seconds and queries of each step:

1. `reconfirmations_sweep` at 22:00 the evening before (the no-show rule over the running terms'
   attendance, the sessions to ask, the sessions due for release): the beat task itself, ids out;
2. `reconfirmations_ask` for every session of the day in the asking window (what the per-session tasks do);
3. `reconfirmations_release` for each of those sessions at its own deadline, every request left unanswered
   (the worst case: each place whose class has a waiting list moves to the queue).

Everything runs in one transaction that is rolled back at the end: the database is left as it was. Notices
are not sent (the outbox's messages are part of the rolled-back transaction); their cost is the notices
bench's. DEBUG is switched off after start-up so Django keeps no log of the queries it does not count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


class Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--day", help="the day of the sessions (YYYY-MM-DD); the busiest coming day by default"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from activities import noshow
    from activities.enums import ReconfirmationStatus, RegistrationStatus, SessionStatus
    from activities.models import Reconfirmation, Registration, Session

    settings.DEBUG = False
    zone = timezone.get_current_timezone()
    if args.day:
        day = datetime.strptime(args.day, "%Y-%m-%d").date()
    else:
        busiest = (
            Session.objects.filter(
                status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now() + timedelta(days=1)
            )
            .annotate(day=TruncDate("starts_at", tzinfo=zone))
            .values("day")
            .annotate(n=Count("id"))
            .order_by("-n", "day")
            .first()
        )
        if busiest is None:
            print("No sessions ahead: seed the district first (manage.py seed_demo --scale district).")
            return 1
        day = busiest["day"]
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), zone)
    sessions = Session.objects.filter(
        status=SessionStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    )
    with_queue = (
        sessions.filter(course__registrations__status=RegistrationStatus.WAITLISTED).distinct().count()
    )
    confirmed = Registration.objects.filter(
        course__sessions__in=sessions, status=RegistrationStatus.CONFIRMED
    ).count()
    print(
        f"day {day}: {sessions.count()} sessions, {with_queue} of them in classes with a waiting list, "
        f"{confirmed} confirmed places in their classes"
    )

    def step(label, call):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            result = call()
            seconds = time.perf_counter() - began
        print(f"{label:<52} {seconds:8.2f} s {len(queries):7d} queries   {result}")
        return result

    # The sweep an hour before the day's first asking window closes: the whole day in one window.
    sweep_at = start - timedelta(hours=settings.RECONFIRM_DEADLINE_HOURS)
    try:
        with transaction.atomic():
            step(
                "1. sweep (rule, sessions to ask, releases due)",
                lambda: noshow.reconfirmations_sweep(now=sweep_at),
            )
            due = noshow.reconfirmations_due(now=sweep_at)
            asked = step(
                f"2. ask, {len(due)} sessions",
                lambda: sum(len(noshow.reconfirmations_ask(session_id=pk, now=sweep_at)) for pk in due),
            )
            deadlines = dict(Session.objects.filter(pk__in=due).values_list("pk", "starts_at"))
            outcome = {"released": 0, "lapsed": 0}

            def release_all():
                for pk, starts_at in deadlines.items():
                    result = noshow.reconfirmations_release(
                        session_id=pk, now=starts_at - timedelta(hours=settings.RECONFIRM_DEADLINE_HOURS)
                    )
                    for key in outcome:
                        outcome[key] += result[key]
                return outcome

            step(f"3. release at each deadline, {asked} requests", release_all)
            left = Reconfirmation.objects.filter(
                status=ReconfirmationStatus.ASKED, session__in=sessions
            ).count()
            print(f"requests still open after the releases: {left}")
            raise Rollback
    except Rollback:
        print("rolled back: the database is unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
