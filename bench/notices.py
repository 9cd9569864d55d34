"""The weekly digest at district scale: fan-out, batches, delivery; print the figures.

    # the district's demo data, once (a few minutes): manage.py migrate && manage.py seed_demo --scale district
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/notices.py                       # a real 2-process prefork worker
    .venv/bin/python bench/notices.py --in-process --residents 5000   # no broker: batches run in this process

Data: the residents already in the database (seed_demo); when there are fewer than --residents (default
250,000 on PostgreSQL, 5,000 on SQLite), synthetic residents are added to the existing communities with
bulk inserts. Candidates are the open classes and active groups created in the last --since-days days
(seed_demo's are all "new" the day they are seeded; an older database needs a larger --since-days).

In-process, each run writes digests under its own key ("digest:bench-<time>"), so runs do not see each
other's notices. With a worker the digests are this week's real ones (the fan-out names them), so a second
run in the same week writes none: pass `--clean`, which deletes earlier bench digests and this week's.

With a worker: Redis database --redis-db (default 12) is flushed; the bench sends one task, the real
`notices.tasks.digest_fanout` (as beat does on Saturday morning), which splits the residents into batches of
--batch and enqueues `notices.tasks.digest_batch`; the worker runs those and `notices.tasks.deliver` with the
append-only file SMS backend (one line per message, so duplicates can be counted) and a realistic gateway
latency of --sms-latency-ms per SMS (default 50 ms; NOTICES_FILE_SMS_DELAY), e-mail to Django's dummy
backend, quiet hours off. The bench waits until the broker has no queued or unacknowledged task and no
delivery is pending; "seconds to enqueue" is then the time until the fan-out's batches were all queued
(the first moment the fan-out task is gone from the broker). Printed: seconds to enqueue, seconds to deliver all, residents and notices per
second, batches, queries per batch (one batch measured in-process, rolled back), duplicates, undelivered,
peak worker memory. The issue's aims on 2 cores: enqueued within 60 s, everything delivered within 10 min.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


class _Rollback(Exception):
    pass


def _database_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def top_up_residents(target: int, seed: int = 7) -> int:
    """Add synthetic residents until there are `target`; returns how many were added."""
    from accounts.models import Community, User
    from interests.models import Category, ResidentAvailability, ResidentProfile
    from tests.factories import CommunityFactory  # only when the database has no community at all

    have = ResidentProfile.objects.count()
    if have >= target:
        return 0
    rng = random.Random(seed)
    communities = list(Community.objects.values_list("id", "latitude", "longitude"))
    if not communities:
        CommunityFactory(name="基准社区", code="bench-community", latitude=29.65, longitude=106.55)
        communities = list(Community.objects.values_list("id", "latitude", "longitude"))
    leaves = list(Category.objects.filter(children__isnull=True, is_active=True).values_list("id", flat=True))
    through = ResidentProfile.interests.through
    start = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    missing = target - have
    chunk = 5000
    for offset in range(0, missing, chunk):
        n = min(chunk, missing - offset)
        users = User.objects.bulk_create(
            [
                User(
                    phone=f"166{start + offset + i:08d}",
                    name=f"基准居民{start + offset + i}",
                    language="en" if rng.random() < 0.05 else "zh-hans",
                    email=f"bench{start + offset + i}@example.org" if rng.random() < 0.1 else None,
                    password="!",
                )
                for i in range(n)
            ]
        )
        profiles = []
        for user in users:
            community_id, lat, lon = rng.choice(communities)
            profiles.append(
                ResidentProfile(
                    user=user,
                    community_id=community_id,
                    latitude=(lat or 29.65) + rng.uniform(-0.01, 0.01),
                    longitude=(lon or 106.55) + rng.uniform(-0.01, 0.01),
                    consent_sms=rng.random() < 0.7,
                    consent_email=user.email is not None,
                    consent_recommendations=rng.random() < 0.85,
                )
            )
        profiles = ResidentProfile.objects.bulk_create(profiles)
        if leaves:
            through.objects.bulk_create(
                [
                    through(residentprofile_id=p.pk, category_id=c)
                    for p in profiles
                    for c in rng.sample(leaves, k=min(len(leaves), rng.randint(1, 3)))
                ],
                ignore_conflicts=True,
            )
        ResidentAvailability.objects.bulk_create(
            [
                ResidentAvailability(profile=p, weekday=rng.randint(0, 6), start=dtime(h), end=dtime(h + 3))
                for p in profiles
                for h in [rng.choice([8, 9, 14, 18])]
            ]
        )
    return missing


def clean_bench_digests(this_week: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM notices_delivery WHERE notice_id IN "
            "(SELECT id FROM notices_notice WHERE purpose = 'digest' AND (object_key LIKE 'digest:bench-%%' OR object_key = %s))",
            [this_week],
        )
        cursor.execute(
            "DELETE FROM notices_notice WHERE purpose = 'digest' AND (object_key LIKE 'digest:bench-%%' OR object_key = %s)",
            [this_week],
        )


def sample_batch(ranges, since) -> tuple[int, float, int]:
    """Run the first batch in-process, count its queries and time it, and roll it back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from notices import services

    first, last = ranges[0]
    made = 0
    started = time.perf_counter()
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            made = services.digest_batch(
                object_key="digest:bench-sample", since=since, first_id=first, last_id=last
            )
            elapsed = time.perf_counter() - started
            count = len(queries)
            raise _Rollback
    except _Rollback:
        pass
    return count, elapsed, made


def rss_of_group(pgid: int) -> tuple[int, int]:
    """(sum, max) resident set size in bytes of the processes of a process group."""
    total = biggest = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                    total += rss
                    biggest = max(biggest, rss)
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return total, biggest


def run_with_worker(args, ranges, key, since) -> dict:
    import redis
    from celery import Celery
    from django.db import connection
    from django.utils import timezone

    from notices.enums import DeliveryStatus
    from notices.models import Delivery

    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    broker = urlunsplit((base.scheme, base.netloc, f"/{args.redis_db}", "", ""))
    r = redis.Redis.from_url(broker)
    r.flushdb()
    sms_file = Path(tempfile.mkdtemp(prefix="bench-digest-")) / "sms.txt"
    log = sms_file.with_name("worker.log")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SMS_BACKEND": "notices.backends.FileSMSBackend",
        "NOTICES_SMS_FILE": str(sms_file),
        # A gateway answers in tens of milliseconds, not instantly: deliveries are timed with that round trip.
        "NOTICES_FILE_SMS_DELAY": str(args.sms_latency_ms / 1000),
        "NOTICES_DIGEST_BATCH": str(args.batch),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "NOTICES_QUIET_HOURS": "off",
        "DJANGO_LOG_LEVEL": "WARNING",
        # As in production: with DEBUG on, Django keeps the last 9,000 queries of each process (the
        # digest's multi-row INSERTs make that hundreds of MB) and spends time recording them.
        "DJANGO_DEBUG": "0",
    }
    command = [str(Path(sys.executable).with_name("celery")), "-A", "community_college", "worker"]
    command += [
        "--concurrency",
        str(args.concurrency),
        "-P",
        "prefork",
        "-l",
        "warning",
        "-n",
        f"bench-digest-{os.getpid()}@%h",
    ]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    sender = Celery("bench-digest", broker=broker)
    sender.conf.task_serializer = "json"
    try:
        deadline = time.monotonic() + 60
        while not sender.control.ping(timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"the worker did not start; see {log}")
        peak_total = peak_one = 0
        started = time.perf_counter()
        # The real fan-out, as beat sends it: the worker splits the residents and enqueues the batches.
        sender.send_task("notices.tasks.digest_fanout")
        enqueued = None
        idle = 0
        last_report = started
        timeout = started + args.timeout
        while True:
            total, one = rss_of_group(worker.pid)
            peak_total, peak_one = max(peak_total, total), max(peak_one, one)
            busy = r.llen("celery") + r.hlen("unacked")
            if enqueued is None and not any(
                b"digest_fanout" in (raw or b"")
                for raw in [*r.lrange("celery", 0, -1)[-5:], *r.hvals("unacked")[:50]]
            ):
                enqueued = time.perf_counter() - started
            # Any delivery at all: the bench database sends nothing else, and the partial index answers.
            waiting = Delivery.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
            ).exists()
            idle = idle + 1 if not busy and not waiting else 0
            if idle >= 2:
                break
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                print(
                    f"  … {last_report - started:5.0f} s: {busy:,} tasks queued or running", file=sys.stderr
                )
            if time.perf_counter() > timeout:
                print(f"timed out after {args.timeout} s; see {log}")
                break
            time.sleep(0.5)
        delivered = time.perf_counter() - started
        started_at = timezone.now() - timedelta(seconds=delivered)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        sender.close()
    lines = sms_file.read_text().splitlines() if sms_file.exists() else []
    counts = Counter(line.split("\t", 1)[0] for line in lines)
    r.flushdb()
    return {
        "started_at": started_at,
        "enqueue_s": enqueued if enqueued is not None else float("nan"),
        "deliver_s": delivered,
        "sms_lines": len(lines),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "peak_total": peak_total,
        "peak_one": peak_one,
    }


def run_in_process(ranges, key, since) -> dict:
    from django.conf import settings
    from django.db import connection

    from community_college.celery import app
    from notices import services
    from notices.backends import CountingSMSBackend

    app.conf.task_always_eager = True
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # one line per eager task otherwise
    settings.SMS_BACKEND = "notices.backends.CountingSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.NOTICES_QUIET_HOURS = "off"
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        for first, last in ranges:
            services.digest_batch(object_key=key, since=since, first_id=first, last_id=last)
    elapsed = time.perf_counter() - started
    return {
        "enqueue_s": 0.0,
        "deliver_s": elapsed,
        "sms_lines": CountingSMSBackend.sent,
        "duplicates": None,
        "queries": queries,
    }


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Max
    from django.utils import timezone

    from interests.models import ResidentProfile
    from notices import selectors
    from notices.enums import DeliveryStatus, Purpose
    from notices.models import Delivery, Notice

    on_postgres = connection.vendor == "postgresql"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=250_000 if on_postgres else 5_000)
    parser.add_argument("--batch", type=int, default=settings.NOTICES_DIGEST_BATCH, help="residents per task")
    parser.add_argument("--since-days", type=int, default=7, help="what counts as new")
    parser.add_argument(
        "--in-process", action="store_true", help="no worker: run the batches here, one after another"
    )
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--clean", action="store_true", help="delete earlier bench digests and this week's first")
    parser.add_argument(
        "--sms-latency-ms", type=float, default=50.0, help="the SMS gateway's round trip imitated by the worker"
    )
    args = parser.parse_args()
    if not args.in_process and not os.environ.get("REDIS_URL"):
        args.in_process = True
        print("REDIS_URL is not set: running the batches in-process")

    t = time.perf_counter()
    added = top_up_residents(args.residents)
    if added:
        print(f"added {added:,} synthetic residents in {time.perf_counter() - t:.1f} s")
    if on_postgres:
        # Fresh bulk-loaded tables have no statistics until autovacuum gets to them; the planner would
        # scan whole tables for a batch's 500 ids.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from notices.services import digest_key

    now = timezone.now()
    if args.clean:
        clean_bench_digests(digest_key(now))

    since = now - timedelta(days=args.since_days)
    index, _facts = selectors.digest_candidates(since=since)
    print(f"candidates new in the last {args.since_days} days: {len(index):,} classes and groups")
    ranges = selectors.digest_user_ranges(size=args.batch)
    residents = ResidentProfile.objects.filter(user__is_active=True).count()
    queries, sample_s, sample_made = sample_batch(ranges, since)
    # The worker's fan-out names this week's digest itself; in-process runs keep a key of their own.
    key = f"digest:bench-{int(now.timestamp())}" if args.in_process else digest_key(now)

    if args.in_process:
        figures = run_in_process(ranges, key, since)
    else:
        figures = run_with_worker(args, ranges, key, since)

    notices = Notice.objects.filter(purpose=Purpose.DIGEST, object_key=key).count()
    by_status = Counter(
        dict(
            Delivery.objects.filter(notice__object_key=key)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
    )
    sent = by_status.get(DeliveryStatus.SENT, 0)
    undelivered = sum(
        n for s, n in by_status.items() if s in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    )
    elapsed = figures["deliver_s"]
    print()
    print(
        f"database                 {connection.vendor}  ({'worker, ' + str(args.concurrency) + ' processes' if not args.in_process else 'in-process'})"
    )
    print(f"residents                {residents:>12,}")
    print(f"batches                  {len(ranges):>12,}   ({args.batch} residents per task)")
    if not args.in_process:
        print(f"SMS gateway latency      {args.sms_latency_ms:>12.0f} ms (per SMS, imitated by the file backend)")
    print(
        f"queries per batch        {queries:>12,}   (first batch, measured in-process: {sample_s:.2f} s, {sample_made} digests)"
    )
    if "queries" in figures:
        print(f"queries, all batches     {figures['queries']:>12,}   (including the sends)")
    print(f"seconds to enqueue       {figures['enqueue_s']:>12.2f}")
    if "started_at" in figures:
        last_digest = Notice.objects.filter(object_key=key).aggregate(m=Max("created"))["m"]
        last_send = Delivery.objects.filter(notice__object_key=key).aggregate(m=Max("sent_at"))["m"]
        if last_digest:
            print(
                f"seconds to write digests {(last_digest - figures['started_at']).total_seconds():>12.2f}   (the last batch's notices)"
            )
        if last_send:
            print(f"seconds to last send     {(last_send - figures['started_at']).total_seconds():>12.2f}")
    print(f"seconds to deliver all   {elapsed:>12.2f}")
    print(f"residents per second     {residents / elapsed:>12,.0f}")
    print(f"digests (inbox)          {notices:>12,}   ({notices / elapsed:,.0f} per second)")
    print(
        f"SMS + e-mail sent        {sent:>12,}   ({sent / elapsed:,.0f} per second; SMS lines {figures['sms_lines']:,})"
    )
    print(
        f"undelivered              {undelivered:>12,}   (failed {by_status.get(DeliveryStatus.FAILED, 0):,})"
    )
    if figures.get("duplicates") is not None:
        print(f"duplicates               {figures['duplicates']:>12,}")
    if "peak_total" in figures:
        print(
            f"peak worker memory       {figures['peak_total'] / 2**20:>10,.0f} MB   "
            f"(all processes; largest one {figures['peak_one'] / 2**20:,.0f} MB)"
        )
    if not args.in_process:
        ok = figures["enqueue_s"] <= 60 and elapsed <= 600 and not figures["duplicates"] and not undelivered
        print(
            f"aims (enqueue ≤ 60 s, all delivered ≤ 600 s, no duplicate, none undelivered): {'met' if ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
