"""Benchmark of a city deployment (issue 18): dashboards, the matching fan-out over Celery workers, the digest.

    # a city demo, once: manage.py migrate && manage.py seed_demo --scale city --districts 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_city REDIS_URL=redis://127.0.0.1:6379/4 \\
        nice .venv/bin/python bench/city.py [--districts 1 2 4] [--workers 1 2] [--time-limit 20]

For each count K of --districts (the first K districts of the database):

1. dashboards: the district office's overview of the first district, and the demo resident's home and classes
   near home (a web worker's hot paths; requests/s per worker ≈ 1000 / warm p50 ms) (server time through Django's test
   Client, cold: cache generation bumped before each load; warm: from the cache), --runs loads each; the
   city dashboard the same way when this branch has one (`dashboards:city`, issue 18's shared part);
2. matching of the K districts with 1 and 2 Celery worker processes (--workers): a real prefork worker on
   REDIS_URL, every district's fan-out chord sent at once (`activities.dispatch.fanout`), the wall time until
   every district's proposal is stored; the parts each district splits into; the worker's peak memory
   (sum over its processes and the largest one). Each run replaces the previous run's proposals;
3. the digest: one batch of --batch residents of the first district rendered and written in this process,
   rolled back (deliveries per process-second: one worker process's rate).

Printed with the load average beside each figure; this process's peak memory at the end. Nothing is left
behind but the last run's proposals (discard them in the admin).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")

from bench.notices import _database_url, rss_of_group, sample_batch  # noqa: E402 — after sys.path


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_page(client, url: str, runs: int, cold: bool) -> list[float]:
    from dashboards.services import bump_generation

    out = []
    for _ in range(runs):
        if cold:
            bump_generation()
        began = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return out


def dashboards(args) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.enums import Role
    from accounts.models import District, RoleAssignment

    settings.DEBUG = False
    settings.DASHBOARDS_REFRESH_ON_DEMAND = False
    first = District.objects.order_by("pk").first()
    cases = []
    office = (
        RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICE, district=first)
        .select_related("user")
        .first()
    )
    if office:
        cases.append(("district overview", office.user, reverse("dashboards:overview")))
    city_office = RoleAssignment.objects.filter(role=Role.CITY_OFFICE).select_related("user").first()
    try:
        city_url = reverse("dashboards:city")
    except NoReverseMatch:
        city_url = None
        print("  city dashboard: not on this branch (issue 18's shared part), not measured")
    if city_url and city_office:
        cases.append(("city dashboard", city_office.user, city_url))
    # A resident's hot path (the classes near home), warm only matters: it is not cached by generation.
    from accounts.models import User

    resident = User.objects.filter(phone="13800000001").first()
    if resident:
        cases.append(("resident: classes", resident, reverse("activities:nearby")))
        cases.append(("resident: home", resident, reverse("home")))
    for name, user, url in cases:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        client.get(url)  # imports, templates, connection: not measured
        cold = time_page(client, url, args.runs, cold=True)
        warm = time_page(client, url, args.runs, cold=False)
        print(
            f"  {name:<20} cold p50 {statistics.median(cold):7.0f} ms p95 {percentile(cold, 0.95):7.0f} · "
            f"warm p50 {statistics.median(warm):6.0f} ms p95 {percentile(warm, 0.95):6.0f}   ({load()})"
        )


def start_worker(concurrency: int, redis_url: str, log: Path) -> subprocess.Popen:
    from django.db import connection

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
    }
    command = [str(Path(sys.executable).with_name("celery")), "-A", "community_college", "worker"]
    command += [
        "--concurrency",
        str(concurrency),
        "-P",
        "prefork",
        "-l",
        "warning",
        "-n",
        f"bench-city-{os.getpid()}-{concurrency}@%h",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def matching(args, districts, redis_url: str) -> None:
    from kombu import pools

    from activities.dispatch.build import build_instance
    from activities.dispatch.fanout import match_fanout
    from activities.matching.split import split
    from activities.models import MatchRun
    from community_college.celery import app

    if app.conf.broker_url != redis_url or app.conf.task_always_eager:
        app.conf.task_always_eager = False
        app.conf.broker_url = app.conf.result_backend = redis_url
        app._backend_cache = None
        app._local = threading.local()
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()
    # Counted before this round's runs replace the last round's proposals (whose orders they still hold).
    for d in districts:
        built = build_instance(node=d)
        parts = split(built.instance)
        sizes = sorted((len(p.orders) for p in parts), reverse=True)
        print(
            f"  {d.name}: {len(built.instance.orders):,} orders to place, {len(parts)} parts (largest {sizes[:3]})"
        )
    log = Path(f"/tmp/bench-city-worker-{os.getpid()}.log")
    for workers in args.workers:
        worker = start_worker(workers, redis_url, log)
        try:
            deadline = time.monotonic() + 120
            while not app.control.ping(timeout=0.5):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit(f"the worker did not start; see {log}")
            began = time.perf_counter()
            results = [
                match_fanout(node=d, time_limit=args.time_limit, seed=args.seed, replace_proposals=True)
                for d in districts
            ]
            sent = time.perf_counter() - began
            peak_total = peak_one = 0
            while not all(r.ready() for r in results):
                total, one = rss_of_group(worker.pid)
                peak_total, peak_one = max(peak_total, total), max(peak_one, one)
                time.sleep(0.5)
            wall = time.perf_counter() - began
            runs = [MatchRun.objects.get(pk=r.get()) for r in results]
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        assigned = sum(r.orders_assigned for r in runs)
        print(
            f"  {workers} worker process{'es' if workers > 1 else ''}: {wall:6.1f} s wall for {len(districts)} "
            f"district(s) (build and send {sent:.1f} s), {assigned:,} orders in {sum(r.classes for r in runs):,} "
            f"classes; worker RSS {peak_total / 2**20:.0f} MB in all, {peak_one / 2**20:.0f} MB the largest   ({load()})"
        )


def digest(args, district) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from interests.models import ResidentProfile

    ids = list(
        ResidentProfile.objects.filter(community__street__district=district)
        .order_by("user_id")
        .values_list("user_id", flat=True)[: args.batch]
    )
    if not ids:
        return
    since = timezone.now() - timedelta(days=args.since_days)
    queries, seconds, made = sample_batch([(ids[0], ids[-1])], since)
    print(
        f"  digest, one batch of {len(ids)} residents: {made} digests in {seconds:.2f} s, {queries} queries "
        f"= {made / seconds:,.0f} digests per process-second   ({load()})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=20.0, help="the solver's limit per part (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--since-days", type=int, default=400, help="what counts as new for the digest")
    parser.add_argument("--skip", nargs="*", default=[], choices=["dashboards", "matching", "digest"])
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from accounts.models import District
    from dashboards import services

    redis_url = os.environ.get("REDIS_URL")
    all_districts = list(District.objects.order_by("pk"))
    print(
        f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, {len(all_districts)} districts ({load()})"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    began = time.perf_counter()
    report = services.rollups_refresh()
    print(
        f"roll-ups of all districts rebuilt in {time.perf_counter() - began:.1f} s ({report.category_days:,} interest-days)"
    )
    if "dashboards" not in args.skip:
        print(f"\ndashboards ({len(all_districts)} districts in the database)")
        dashboards(args)
    for k in args.districts:
        if k > len(all_districts):
            print(f"\n{k} districts: the database has {len(all_districts)}; skipped")
            continue
        if "matching" not in args.skip and redis_url:
            print(f"\nmatching of {k} district(s), time limit {args.time_limit:.0f} s a part")
            matching(args, all_districts[:k], redis_url)
    if "digest" not in args.skip:
        print()
        digest(args, all_districts[0])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\nthis process: peak RSS {rss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
