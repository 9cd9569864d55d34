"""Time `seed_demo` at a chosen scale against the configured database; print seconds per stage and rows.

    .venv/bin/python bench/seed_bench.py --scale street
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_seed .venv/bin/python bench/seed_bench.py --scale district

The database must be empty of demo data (migrated, nothing seeded). By default the run is rolled back at
the end, so the same database serves the next run; before the rollback the deferred foreign-key checks
that a real COMMIT would run are forced (`SET CONSTRAINTS ALL IMMEDIATE`) and timed, so the total
matches what `manage.py seed_demo` costs. `--keep` commits instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


class _Rollback(Exception):
    pass


def main() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection, transaction

    from demo.seed import DEFAULT_SEED, SCALES, seed_demo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="street")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--keep", action="store_true", help="commit the data instead of rolling it back")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args()

    print(
        f"seed_demo --scale {args.scale} --seed {args.seed} on {connection.vendor} ({connection.settings_dict['NAME']})"
    )
    started = time.perf_counter()
    counts: dict[str, int] = {}
    checks = 0.0
    try:
        with transaction.atomic():
            report = seed_demo(scale=args.scale, seed=args.seed, progress=args.progress)
            if connection.vendor == "postgresql":
                checked = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the deferred FK checks now
                checks = time.perf_counter() - checked
            for label in report.rows:
                counts[label] = apps.get_model(label).objects.count()
            if not args.keep:
                raise _Rollback
    except _Rollback:
        pass
    total = time.perf_counter() - started

    print(f"\n{'stage':<16}{'seconds':>9}")
    for label, seconds in report.stages.items():
        if label != "commit":  # inside the bench's transaction this is only a savepoint release
            print(f"{label:<16}{seconds:9.2f}")
    if connection.vendor == "postgresql":
        print(f"{'FK checks':<16}{checks:9.2f}   (deferred constraints; a real run pays them at COMMIT)")
    print(
        f"{'total':<16}{report.seconds - report.stages.get('commit', 0) + checks:9.2f}   "
        f"(wall clock with counting: {total:.1f} s, {'committed' if args.keep else 'rolled back'})"
    )

    print(f"\n{'table':<40}{'rows':>11}{'write s':>9}{'rows/s':>10}")
    for label in sorted(report.rows, key=lambda k: -report.rows[k]):
        rows, seconds = report.rows[label], report.insert_seconds[label]
        mismatch = (
            ""
            if counts.get(label) == rows or label == "interests.Category"
            else f"  (database: {counts.get(label)})"
        )
        rate = f"{rows / seconds:10,.0f}" if seconds > 0 else f"{'':>10}"
        print(f"{label:<40}{rows:>11,}{seconds:9.2f}{rate}{mismatch}")
    print(f"{'all':<40}{sum(report.rows.values()):>11,}")


if __name__ == "__main__":
    main()
