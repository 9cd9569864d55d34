"""Command line of the matching core, working without a database.

    python -m activities.matching solve INSTANCE.json [--time-limit SECONDS] [--greedy] [--seed N] [--near-misses] [-o SOLUTION.json]
    python -m activities.matching check INSTANCE.json SOLUTION.json
    python -m activities.matching generate --orders N --teachers T --venues V --seed S [--slots K] [-o FILE]

``--near-misses`` adds the optional ``near_misses`` list to the solution (``activities.matching.near_miss``);
``check`` verifies it when present.

Exit codes: 0 success (``check``: the solution is feasible and every near miss opens its class), 1 ``check`` found violations,
2 bad input (unreadable file, invalid JSON, an instance or solution that breaks the format).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .checker import check, check_near_misses, objective
from .near_miss import find_near_misses, near_misses_json, read_near_misses
from .problem import FormatError, Instance, Solution

EXIT_OK = 0
EXIT_INFEASIBLE = 1
EXIT_BAD_INPUT = 2


class _InputError(Exception):
    """A file that cannot be read; reported with exit code 2."""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _InputError(f"cannot read {path}: {exc}") from exc


def _write(text: str, path: str | None) -> None:
    if path is None or path == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


def _solve(args: argparse.Namespace) -> int:
    instance = Instance.from_json(_read(args.instance))
    started = time.perf_counter()
    if args.greedy:
        from .greedy import greedy

        solution = greedy(instance)
    else:
        from .solver import solve

        solution = solve(instance, time_limit=args.time_limit, seed=args.seed, num_workers=args.workers)
    near = ""
    if args.near_misses:
        # Within the run's budget: what the solver left of the time limit.
        report = find_near_misses(instance, solution, deadline=started + args.time_limit)
        data = solution.to_dict()
        data["near_misses"] = near_misses_json(report.near_misses)
        text = json.dumps(data, ensure_ascii=False)
        counts = ", ".join(f"{r} {n}" for r, n in report.by_relaxation().items())
        near = f"; near misses: {counts}{'' if report.complete else ' (cut short)'}"
    else:
        text = solution.to_json()
    seconds = time.perf_counter() - started
    _write(text, args.output)
    obj = objective(instance, solution)
    reasons = Counter(u.reason for u in solution.unassigned)
    why = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())) or "none"
    print(
        f"{'greedy' if args.greedy else 'solver'}: assigned weight {obj.weight:.2f} of {obj.total_weight:.2f} "
        f"({100 * obj.weight_share:.1f}%), walking {obj.walk_km:.2f} km, {obj.classes} classes, "
        f"{seconds:.2f} s; unassigned: {why}{near}",
        file=sys.stderr,
    )
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    instance = Instance.from_json(_read(args.instance))
    text = _read(args.solution)
    solution = Solution.from_json(text)
    report = check(instance, solution)
    for violation in report.violations:
        print(violation)
    print(f"objective: {report.objective.summary()}")
    near_misses = read_near_misses(json.loads(text))
    near_violations = check_near_misses(instance, solution, near_misses) if near_misses else []
    for violation in near_violations:
        print(violation)
    if near_misses and not near_violations:
        print(f"near misses: {len(near_misses)}, each opens its class under its one relaxation")
    if near_violations:
        print(f"near misses: {len(near_violations)} violations")
        return EXIT_INFEASIBLE
    if report.feasible:
        print("feasible: every rule holds")
        return EXIT_OK
    print(f"infeasible: {len(report.violations)} violations")
    return EXIT_INFEASIBLE


def _generate(args: argparse.Namespace) -> int:
    from .generate import generate

    try:
        instance = generate(args.orders, args.teachers, args.venues, seed=args.seed, slots=args.slots)
    except ValueError as exc:
        raise _InputError(str(exc)) from exc
    _write(instance.to_json(), args.output)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="python -m activities.matching", description="Pool orders into classes (派单)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve an instance and write the solution JSON")
    p.add_argument("instance", help="instance JSON file")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds for the solver (default 60)")
    p.add_argument("--greedy", action="store_true", help="use the greedy baseline only")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same solution")
    p.add_argument("--workers", type=int, default=1, help="CP-SAT workers per sub-problem (default 1)")
    p.add_argument(
        "--near-misses",
        action="store_true",
        help="also list the groups one relaxation would open (radius, slot, smaller, parent, group)",
    )
    p.add_argument("-o", "--output", help="solution file (default: standard output)")
    p.set_defaults(func=_solve)

    p = sub.add_parser("check", help="check a solution against the rules and print its objective")
    p.add_argument("instance", help="instance JSON file")
    p.add_argument("solution", help="solution JSON file")
    p.set_defaults(func=_check)

    p = sub.add_parser("generate", help="write a synthetic instance")
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--teachers", type=int, required=True)
    p.add_argument("--venues", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--slots", type=int, default=35, help="weekly slots, at most 35 (default 35)")
    p.add_argument("-o", "--output", help="instance file (default: standard output)")
    p.set_defaults(func=_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "time_limit", 1.0) <= 0:
        parser.error("--time-limit must be positive")
    try:
        return args.func(args)
    except (_InputError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
