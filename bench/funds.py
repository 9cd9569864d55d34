"""Benchmark: the fund's ledger at district scale — balances, the public report, the funds dashboard.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_funds_bench .venv/bin/python bench/funds.py [--entries 500000]

1. migrates; seeds the district (`seed_demo --scale district`, which includes a year of every college's
   fund) if the database is empty;
2. tops the ledger up to `--entries` entries with a year of synthetic balanced postings spread over the
   colleges (income, donations, spending; 2 entries each), inserted in batches of 20,000 postings, each
   batch one transaction — so on PostgreSQL the deferred balance trigger checks every posting at COMMIT,
   and the insert rate printed includes that check;
3. ANALYZE, then times (p50/p95 of `--runs`):
   - the balance of every account (`funds.selectors.balances()`, one GROUP BY over all entries);
   - one college's published report for the current term (`college_report`);
   - the district's funds dashboard through Django's test Client, signed in as the district office,
     cold (the dashboards' cache generation bumped before each load) and warm (from the cache);
   and prints the queries of one cold load, which do not depend on the number of entries.

Timings are this machine's (2 shared cores); DEBUG is off after start-up as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(label: str, runs: int, call) -> None:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    print(f"  {label:<44} p50 {statistics.median(samples):8.1f} ms   p95 {percentile(samples, 0.95):8.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=500_000, help="ledger entries to reach (default 500,000)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each read (default 10)")
    parser.add_argument("--scale", default="district", help="seed_demo scale when the database is empty")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.enums import Role
    from accounts.models import College, RoleAssignment
    from activities.models import Term
    from dashboards.services import bump_generation
    from demo.seed import database_has_data, seed_demo
    from funds import selectors
    from funds.enums import ACCOUNT_CODES, Holding, PostingKind, Source, Use, account_kind_of
    from funds.models import Account, Entry, Posting

    call_command("migrate", verbosity=0)
    if not database_has_data():
        began = time.perf_counter()
        report = seed_demo(scale=args.scale, progress=False)
        print(f"seeded {args.scale} in {time.perf_counter() - began:.0f} s "
              f"({report.rows.get('funds.Entry', 0):,} demo ledger entries)")
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")

    colleges = list(College.objects.order_by("id"))
    actor = RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF).values_list("user_id", flat=True).first()
    existing = {c.pk for c in colleges if Account.objects.filter(college=c).exists()}
    Account.objects.bulk_create(
        [Account(college=c, code=code, kind=account_kind_of(code)) for c in colleges if c.pk not in existing for code in ACCOUNT_CODES],
        ignore_conflicts=True,
    )
    chart = {(a.college_id, a.code): a.pk for a in Account.objects.all()}
    have = Entry.objects.count()
    missing = max(0, args.entries - have)
    today = timezone.localdate()
    terms = list(Term.objects.order_by("starts_on"))
    rng = random.Random(15)
    kinds = [
        (PostingKind.INCOME, Holding.CASH, Source.FISCAL),
        (PostingKind.INCOME, Holding.CASH, Source.ALLOCATED),
        (PostingKind.DONATION, Holding.CASH, Source.CROWD),
        (PostingKind.EXPENSE, Use.MATERIALS, Holding.CASH),
        (PostingKind.EXPENSE, Use.VENUE_FEES, Holding.CASH),
        (PostingKind.EXPENSE, Use.EVENTS, Holding.CASH),
    ]
    postings_needed = missing // 2
    print(f"ledger: {have:,} entries; adding {postings_needed:,} postings ({postings_needed * 2:,} entries)")
    batch = 20_000
    began = time.perf_counter()
    done = 0
    while done < postings_needed:
        n = min(batch, postings_needed - done)
        rows = []
        for _ in range(n):
            college = rng.choice(colleges)
            day = today - timedelta(days=rng.randint(0, 364))
            term = next((t for t in terms if t.starts_on <= day <= t.ends_on), None)
            kind, debit, credit = rng.choice(kinds)
            amount = Decimal(rng.randint(100, 50_000)) / 100
            rows.append((
                Posting(college=college, kind=kind, occurred_on=day, term=term, memo="bench", created_by_id=actor,
                        created=timezone.make_aware(datetime.combine(day, datetime.min.time()))),
                [(debit, amount), (credit, -amount)],
            ))
        with transaction.atomic():
            Posting.objects.bulk_create([p for p, _legs in rows], batch_size=5000)
            Entry.objects.bulk_create(
                [Entry(posting_id=p.pk, account_id=chart[(p.college_id, code)], amount=a) for p, legs in rows for code, a in legs],
                batch_size=10_000,
            )
        done += n
    seconds = time.perf_counter() - began
    if postings_needed:
        print(f"  inserted at {postings_needed * 2 / seconds:,.0f} entries/s including the COMMIT-time balance check ({seconds:.0f} s)")
    from funds.models import MonthTotal
    from funds.services import month_totals_rebuild

    if postings_needed or not MonthTotal.objects.exists():
        # The bulk insert above bypasses posting_create, which keeps the monthly totals: rebuild them.
        began = time.perf_counter()
        rows = month_totals_rebuild()
        print(f"  monthly totals rebuilt from the entries: {rows:,} rows in {time.perf_counter() - began:.1f} s")
    total = Entry.objects.count()
    print(f"ledger: {total:,} entries, {Posting.objects.count():,} postings, {len(colleges)} colleges")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE funds_entry; ANALYZE funds_posting; ANALYZE funds_account")

    settings.DEBUG = False
    print("reads:")
    balances = selectors.balances()
    cash = sum(v for (c, code), v in balances.items() if code == Holding.CASH)
    print(f"  {len(balances):,} account balances; district cash {cash:,.2f} yuan; all accounts sum to {sum(balances.values())}")
    timed("balance of every account (monthly totals)", args.runs, selectors.balances)
    timed("balance of every account (every entry)", args.runs, selectors.balances_from_entries)
    assert selectors.balances() == selectors.balances_from_entries()
    college = colleges[len(colleges) // 2]
    term = selectors.default_term(college_id=college.pk)
    timed("one college's public report (term)", args.runs, lambda: selectors.college_report(college_id=college.pk, term=term))

    officer = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICE).select_related("user").first()
    client = Client()
    client.force_login(officer.user)
    url = reverse("dashboards:funds") + "?period=year"
    client.get(url)

    def cold():
        bump_generation()
        response = client.get(url)
        assert response.status_code == 200

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted with a wrapper: the test Client's request_started signal clears the debug query log.
    with connection.execute_wrapper(count):
        cold()
    timed("funds dashboard, district, a year: cold", args.runs, cold)
    timed("funds dashboard, district, a year: warm", args.runs, lambda: client.get(url))
    print(f"  queries of one cold load: {len(queries)} (with {total:,} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
