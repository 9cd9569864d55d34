"""Benchmark of the matching core: greedy baseline against the CP-SAT solver on synthetic instances.

    .venv/bin/python bench/matching.py [--sizes 1000,2500,10000] [--time-limit 60] [--seed 1] [--bound 60]
    .venv/bin/python bench/matching.py --scale street|district|all      # the older named scales
    .venv/bin/python bench/matching.py --sizes 10000 --shapes all        # the gap per shape of demand

``--shapes`` (default ``spread``, the generator's own) adds instances with other shapes made from the same
seed by ``activities.matching.generate.reshape``: ``clustered`` (most residents in four communities),
``scarce_skill`` (the most ordered interest taught by two teachers only), ``narrow_hours`` (venues open a
third of their slots). The summary prints one row per size and shape with its gap to the bound.

The issue's sizes are 1,000 / 2,500 / 10,000 orders; 10,000 orders with 750 teachers, 600 venues and 35
weekly slots is the Liangjiang district, and the smaller sizes keep its ratios (7.5 teachers and 6 venues
per 100 orders). Prints one row per method: orders, assigned weight %, average walk, classes, seconds,
and the unassigned orders per reason; then greedy weight, solver weight, the proven upper bound on the
assigned weight (the smallest of a Lagrangian bound, a cluster bound at its prices and, below district
scale, a per-category, per-neighbourhood relaxation, see ``activities/matching/bound.py``; ``--bound 0``
skips it), the gap and seconds.
Figures, not assertions: timing belongs here, never in tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from activities.matching.bound import upper_bound  # noqa: E402 - the path must be set first
from activities.matching.checker import check  # noqa: E402
from activities.matching.generate import SHAPES, generate, reshape  # noqa: E402
from activities.matching.greedy import greedy  # noqa: E402
from activities.matching.problem import Reason  # noqa: E402
from activities.matching.solver import solve  # noqa: E402

SCALES = {
    "street": (500, 38, 30),
    "district": (10_000, 750, 600),
}
DEFAULT_SIZES = (1_000, 2_500, 10_000)


def shape(orders: int) -> tuple[int, int, int]:
    """Orders, teachers and venues of a size, in the district's proportions (10,000 : 750 : 600)."""
    return orders, max(1, round(orders * 750 / 10_000)), max(1, round(orders * 600 / 10_000))


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


def run(
    name: str,
    size: tuple[int, int, int],
    time_limit: float,
    seed: int,
    bound_seconds: float,
    shape_name: str = "spread",
) -> dict:
    """Generate one instance of the size, solve it both ways, print the table; return the summary figures."""
    orders, teachers, venues = size
    inst = reshape(generate(orders, teachers, venues, seed=seed), shape_name, seed)
    print(
        f"\n{name}, {shape_name}: {orders} orders, {teachers} teachers, {venues} venues, {len(inst.slots)} slots, "
        f"seed {seed}"
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
        f"{stats.sweeps} sweeps, stopped by {stats.stopped_by} after {stats.work:.1f} units of work "
        f"({stats.processes} processes, {stats.window} regions at once, {stats.conflicts} conflicts); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    summary = {
        "orders": orders,
        "shape": shape_name,
        "greedy": g_w,
        "solver": s_w,
        "bound": None,
        "gap": None,
        "seconds": seconds,
        "work": stats.work,
        "load": os.getloadavg()[0],
    }
    if bound_seconds > 0:
        b = upper_bound(inst, time_limit=bound_seconds, target=s_w)
        gap = 100 * (b.weight - s_w) / b.weight if b.weight else 0.0
        summary.update(bound=b.weight, gap=gap)
        print(
            f"upper bound: {b.weight:.1f} ({100 * b.weight / stats.final.total_weight:.2f}% of all weight), "
            f"solver gap {gap:.2f}%; Lagrangian {b.lagrangian:.1f} ({b.iterations} iterations), clusters "
            f"{b.by_clusters:.1f} ({b.clusters_proved}/{b.clusters} proved), components "
            f"{b.by_components:.1f} ({b.proved_optimal}/{b.components} proved), {b.seconds:.1f} s"
        )
    return summary


def _summary(rows: list[dict]) -> None:
    # The work units say how far the search got: on a busy machine the clock, not the work budget,
    # ends it, and the weight then depends on the load (printed beside it).
    print(
        "\n  orders  shape         greedy weight  solver weight  vs greedy  upper bound     gap  solver s"
        "   work  load"
    )
    for r in rows:
        bound = f"{r['bound']:>11.1f}" if r["bound"] is not None else f"{'-':>11}"
        gap = f"{r['gap']:>6.2f}%" if r["gap"] is not None else f"{'-':>7}"
        gain = 100 * (r["solver"] - r["greedy"]) / r["greedy"] if r["greedy"] else 0.0
        print(
            f"{r['orders']:>8}  {r['shape']:<12} {r['greedy']:>14.1f} {r['solver']:>14.1f} {gain:>+9.1f}% {bound} {gap} "
            f"{r['seconds']:>9.1f} {r['work']:>6.1f} {r['load']:>5.1f}"
        )


def main() -> None:
    """Parse arguments and run the chosen scales."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=None,
        help="comma-separated order counts, in the district's proportions (default 1000,2500,10000)",
    )
    parser.add_argument(
        "--scale", choices=[*SCALES, "all"], default=None, help="a named scale instead of --sizes"
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--shapes",
        default="spread",
        help=f"comma-separated shapes, or all ({', '.join(SHAPES)}; default spread)",
    )
    parser.add_argument("--bound", type=float, default=60.0, help="seconds for the upper bound (0: skip)")
    args = parser.parse_args()
    if args.scale is not None and args.sizes is not None:
        parser.error("give --sizes or --scale, not both")
    if args.scale is not None:
        runs = [(name, SCALES[name]) for name in (SCALES if args.scale == "all" else [args.scale])]
    else:
        try:
            sizes = (
                [int(s.replace("_", "")) for s in args.sizes.split(",")]
                if args.sizes
                else list(DEFAULT_SIZES)
            )
        except ValueError:
            parser.error("--sizes takes order counts such as 1000,2500")
        if any(n < 1 for n in sizes):
            parser.error("--sizes must be positive")
        runs = [(f"{n} orders", shape(n)) for n in sizes]
    shapes = list(SHAPES) if args.shapes == "all" else [s.strip() for s in args.shapes.split(",")]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes {', '.join(unknown)}; choose from {', '.join(SHAPES)} or all")
    # Each size runs in a fresh process: measured here, the district solve ran markedly slower after the
    # smaller sizes had run in the same process, and then the clock, not the work budget, ended it. Not a
    # multiprocessing.Pool, whose processes are daemonic: the solver could not start its worker processes
    # there and would fall back to one core, as it does inside a Celery worker.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1) as pool:
        rows = [
            pool.submit(run, name, size, args.time_limit, args.seed, args.bound, shape_name).result()
            for name, size in runs
            for shape_name in shapes
        ]
    _summary(rows)


if __name__ == "__main__":
    main()
