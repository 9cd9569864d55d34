"""Benchmark of the matching core: greedy baseline against the CP-SAT solver on synthetic instances.

    .venv/bin/python bench/matching.py [--scale street|district|all] [--time-limit 60] [--seed 1] [--bound SECONDS]

Street scale is ~500 orders; district scale is the Liangjiang figure: 10,000 orders, 750 teachers,
600 venues, 35 weekly slots. Prints one row per method: orders, assigned weight %, average walk,
classes, seconds, and the unassigned orders per reason. ``--bound`` also computes a proven upper bound
on the assigned weight (per-category, per-neighbourhood relaxation) and the solver's gap to it.
Figures, not assertions: timing belongs here, never in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from activities.matching.bound import upper_bound  # noqa: E402 - the path must be set first
from activities.matching.checker import check  # noqa: E402
from activities.matching.generate import generate  # noqa: E402
from activities.matching.greedy import greedy  # noqa: E402
from activities.matching.problem import Reason  # noqa: E402
from activities.matching.solver import solve  # noqa: E402

SCALES = {
    "street": (500, 38, 30),
    "district": (10_000, 750, 600),
}
REASONS = [r.value for r in Reason]


def _row(name: str, inst, sol, seconds: float) -> str:
    report = check(inst, sol)
    if not report.feasible:
        raise SystemExit(f"{name}: infeasible solution: {report.violations[:3]}")
    obj = report.objective
    reasons = Counter(u.reason for u in sol.unassigned)
    avg = obj.walk_km / obj.assigned if obj.assigned else 0.0
    cells = [
        f"{name:<8}",
        f"{len(inst.orders):>7}",
        f"{100 * obj.weight_share:>8.2f}",
        f"{obj.weight:>10.1f}",
        f"{avg:>8.3f}",
        f"{obj.classes:>7}",
        f"{seconds:>8.1f}",
        *(f"{reasons.get(r, 0):>14}" for r in REASONS),
    ]
    return " ".join(cells)


def run(scale: str, time_limit: float, seed: int, bound_seconds: float) -> None:
    """Generate one instance of the scale, solve it both ways and print the table."""
    orders, teachers, venues = SCALES[scale]
    inst = generate(orders, teachers, venues, seed=seed)
    print(
        f"\n{scale}: {orders} orders, {teachers} teachers, {venues} venues, {len(inst.slots)} slots, seed {seed}"
    )
    header = [
        "method  ",
        "orders ",
        "weight %",
        "    weight",
        "walk avg",
        "classes",
        " seconds",
        *(f"{r:>14}" for r in REASONS),
    ]
    print(" ".join(header))

    started = time.perf_counter()
    g = greedy(inst)
    print(_row("greedy", inst, g, time.perf_counter() - started), flush=True)

    started = time.perf_counter()
    s = solve(inst, time_limit=time_limit, seed=seed)
    seconds = time.perf_counter() - started
    print(_row("solver", inst, s, seconds), flush=True)

    stats = s.stats["search"]
    g_w, s_w = stats.greedy.weight, stats.final.weight
    print(
        f"solver vs greedy: {100 * (s_w - g_w) / g_w if g_w else 0.0:+.1f}% assigned weight; "
        f"{stats.regions} regions solved ({stats.improved} improved, {stats.optimal} proved optimal), "
        f"{stats.sweeps} sweeps, stopped by {stats.stopped_by}"
    )
    if bound_seconds > 0:
        b = upper_bound(inst, time_limit=bound_seconds)
        gap = 100 * (b.weight - s_w) / b.weight if b.weight else 0.0
        print(
            f"upper bound: {b.weight:.1f} ({100 * b.weight / stats.final.total_weight:.2f}% of all weight), "
            f"solver gap {gap:.2f}%; {b.proved_optimal}/{b.components} components proved, {b.seconds:.1f} s"
        )


def main() -> None:
    """Parse arguments and run the chosen scales."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="all")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bound", type=float, default=0.0, help="seconds for the upper bound (0: skip)")
    args = parser.parse_args()
    for scale in SCALES if args.scale == "all" else [args.scale]:
        run(scale, args.time_limit, args.seed, args.bound)


if __name__ == "__main__":
    main()
