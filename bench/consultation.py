"""Benchmark: 协商议事 at district scale — 20,000 matters and 200,000 supports over the district seed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/consultation.py [--seed] [--runs 20]

1. migrates; with `--seed` on an empty database runs `seed_demo --scale district` first (about 1.5 min);
2. adds `--matters` matters (default 20,000) spread over the communities, in every state of the path, and
   `--supports` supports (default 200,000) by residents of each matter's community, in bulk, then
   recomputes the counters from the rows (one UPDATE), VACUUMs the consultation tables (before and after)
   and ANALYZEs;
3. loads, through Django's test Client (whole request, no network), `--runs` times each:
   - a resident's community list page (/consultation/), cold (cache cleared) and warm;
   - the district office's consultation dashboard, cold (cache cleared) and warm;
   and prints p50/p95 in ms and the queries of one load (they must not grow with the data);
4. times the escalation sweep over all open matters with their deadlines moved into the past, and the
   overdue-decision and confirmation-timeout sweeps; prints how many rows each touched.

Generated rows are removed at the end unless `--keep`. Timings are this machine's.
"""

from __future__ import annotations

import argparse
import os
import random
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
    parser.add_argument("--matters", type=int, default=20_000)
    parser.add_argument("--supports", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", action="store_true", help="seed the district demo data if the database is empty")
    parser.add_argument("--keep", action="store_true", help="keep the generated matters")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.enums import Role
    from accounts.models import Community, RoleAssignment
    from consultation import services
    from consultation.enums import DecisionStatus, EventKind, MatterStatus, Outcome, OwnerKind
    from consultation.models import Decision, Matter, MatterCategory, MatterEvent, Meeting, Support
    from interests.models import ResidentProfile
    from venues.models import Venue

    call_command("migrate", verbosity=0)
    if not ResidentProfile.objects.exists():
        if not args.seed:
            print("The database is empty: pass --seed (or run `manage.py seed_demo --scale district`).", file=sys.stderr)
            return 2
        began = time.perf_counter()
        call_command("seed_demo", scale="district", verbosity=0)
        print(f"seed_demo --scale district: {time.perf_counter() - began:.1f} s")
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, "
          f"{ResidentProfile.objects.count():,} residents, {Community.objects.count()} communities")

    def remove_generated():
        with transaction.atomic():
            Decision.objects.filter(text="bench").delete()
            Meeting.objects.filter(title="bench").delete()
            Matter.objects.filter(description="基准测试").delete()

    def vacuum():
        """The rows an earlier run removed (and the sweeps' updates) stay in the tables as dead tuples until a
        vacuum; where autovacuum is off or behind, every scan of the dashboard reads them (46 MB for 20,000
        live matters after five runs) and each run would measure a slower table than the last. Vacuumed when
        empty, the tables shrink back; vacuumed when filled, their pages are all-visible."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ("consultation_matter", "consultation_support", "consultation_matterevent", "consultation_decision"):
                    cursor.execute(f"VACUUM {table}")

    remove_generated()  # left over by an interrupted run
    vacuum()
    rng = random.Random(2026)
    now = timezone.now()
    root, _ = MatterCategory.objects.get_or_create(name="环境", parent=None)
    leaves = [MatterCategory.objects.get_or_create(name=n, parent=root)[0] for n in ("停车", "垃圾分类", "噪音", "绿化")]
    residents_by_community: dict[int, list[int]] = {}
    for user_id, community_id in ResidentProfile.objects.values_list("user_id", "community_id").iterator(chunk_size=20_000):
        residents_by_community.setdefault(community_id, []).append(user_id)
    communities = sorted(c for c, people in residents_by_community.items() if len(people) >= 20)
    titles = ["小区停车难", "垃圾分类点太远", "广场舞噪音扰民", "绿化带缺人修剪", "楼道堆物", "路灯不亮", "电梯老旧", "井盖松动"]
    statuses = [MatterStatus.RAISED] * 4 + [MatterStatus.DELIBERATION, MatterStatus.DECIDED, MatterStatus.CONFIRMING] + [MatterStatus.CLOSED] * 3

    began = time.perf_counter()
    rows = []
    for i in range(args.matters):
        community = communities[i % len(communities)]
        raised = now - timezone.timedelta(days=rng.uniform(0, 360))
        status = rng.choice(statuses)
        answered = raised + timezone.timedelta(days=rng.uniform(0.5, 9)) if status != MatterStatus.RAISED else None
        m = Matter(
            community_id=community, category=rng.choice(leaves), title=f"{rng.choice(titles)}{i}", description="基准测试",
            title_pinyin="", raised_by_id=rng.choice(residents_by_community[community]), status=status,
            raised_at=raised, due_at=raised + timezone.timedelta(days=7), answered_at=answered,
            answered_on_time=(answered <= raised + timezone.timedelta(days=7)) if answered else None,
            deliberation_at=answered if status not in (MatterStatus.RAISED,) else None,
            decided_at=answered + timezone.timedelta(days=14) if status in (MatterStatus.DECIDED, MatterStatus.CONFIRMING, MatterStatus.CLOSED) else None,
            done_at=answered + timezone.timedelta(days=40) if status in (MatterStatus.CONFIRMING, MatterStatus.CLOSED) else None,
            closed_at=answered + timezone.timedelta(days=50) if status == MatterStatus.CLOSED else None,
            outcome=Outcome.CONFIRMED if status == MatterStatus.CLOSED else "",
            latitude=29.6 + rng.random() / 5, longitude=106.5 + rng.random() / 5,
        )
        rows.append(m)
    with transaction.atomic():
        created = Matter.objects.bulk_create(rows, batch_size=2000)
        MatterEvent.objects.bulk_create(
            [MatterEvent(matter_id=m.pk, kind=EventKind.RAISED, at=m.raised_at) for m in created], batch_size=5000
        )
        per_matter = max(1, args.supports // len(created))
        supports = []
        for m in created:
            people = residents_by_community[m.community_id]
            for user_id in rng.sample(people, min(per_matter, len(people))):
                supports.append(Support(matter_id=m.pk, user_id=user_id, created=m.raised_at))
        Support.objects.bulk_create(supports, batch_size=10_000, ignore_conflicts=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE consultation_matter m SET support_count = s.n FROM "
                "(SELECT matter_id, COUNT(*) n FROM consultation_support GROUP BY matter_id) s WHERE s.matter_id = m.id"
            )
    print(f"generated {len(created):,} matters, {len(supports):,} supports: {time.perf_counter() - began:.1f} s")
    if connection.vendor == "postgresql":
        began = time.perf_counter()
        vacuum()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"VACUUM and ANALYZE: {time.perf_counter() - began:.1f} s")

    settings.DEBUG = False
    busiest = max(communities, key=lambda c: Matter.objects.filter(community_id=c).count())
    resident_id = residents_by_community[busiest][0]
    district_office = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICE).values_list("user_id", flat=True).first()

    def timed(client, url, label):
        client.get(url)  # the process's first request of this page compiles its templates: not counted
        for mode in ("cold", "warm"):
            samples = []
            for _ in range(args.runs):
                if mode == "cold":
                    cache.clear()
                began = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                if mode == "cold":
                    cache.clear()
                client.get(url)
            print(f"{label:<34} {mode}: p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 0.95):7.1f} ms  "
                  f"{len(queries)} queries")

    from accounts.models import User

    resident_client = Client()
    resident_client.force_login(User.objects.get(pk=resident_id))
    print(f"community of the list page: {Matter.objects.filter(community_id=busiest).count()} matters")
    timed(resident_client, "/consultation/", "community list page")
    timed(resident_client, "/consultation/?show=all&page=5", "community list page (all, page 5)")
    if district_office:
        office = Client()
        office.force_login(User.objects.get(pk=district_office))
        timed(office, "/consultation/dashboard/", "district consultation dashboard")

    # The sweeps: every open matter's deadline moved into the past.
    Matter.objects.filter(status=MatterStatus.RAISED).update(due_at=now - timezone.timedelta(minutes=1))
    open_count = Matter.objects.filter(status=MatterStatus.RAISED).count()
    began = time.perf_counter()
    moved = services.matters_escalate_due()
    print(f"escalation sweep: {moved:,} of {open_count:,} unanswered matters moved up in {time.perf_counter() - began:.2f} s")
    began = time.perf_counter()
    moved_again = services.matters_escalate_due(now=now + timezone.timedelta(days=30))
    print(f"escalation sweep (street → district): {moved_again:,} in {time.perf_counter() - began:.2f} s")
    decided = list(Matter.objects.filter(status=MatterStatus.DECIDED).values_list("id", "community_id")[:5000])
    venue_by_community = dict(Venue.objects.values_list("community_id", "id").order_by("community_id", "id").distinct())
    meetings = {}
    for _matter_id, community_id in decided:
        if community_id not in venue_by_community:
            continue
        if community_id not in meetings:
            meetings[community_id] = Meeting.objects.create(
                community_id=community_id, venue_id=venue_by_community[community_id], title="bench",
                starts_at=now - timezone.timedelta(days=60), ends_at=now - timezone.timedelta(days=60, hours=-2),
            )
    Decision.objects.bulk_create(
        [
            Decision(meeting=meetings[c], matter_id=m, text="bench", owner_kind=OwnerKind.UNIT, owner_name="物业",
                     due_date=(now - timezone.timedelta(days=3)).date(), status=DecisionStatus.OPEN)
            for m, c in decided if c in meetings
        ],
        batch_size=2000,
    )
    began = time.perf_counter()
    flagged = services.decisions_flag_overdue()
    print(f"overdue-decision sweep: {flagged:,} decisions in {time.perf_counter() - began:.2f} s")
    began = time.perf_counter()
    closed = services.matters_close_unconfirmed(now=now + timezone.timedelta(days=400))
    print(f"confirmation-timeout sweep: {closed:,} matters in {time.perf_counter() - began:.2f} s")

    if not args.keep:
        remove_generated()
        print("generated rows removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
