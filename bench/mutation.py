"""Mutation testing of the rule modules: `make mutation` (not in CI: too slow for two cores).

Runs mutmut 3 (configured in pyproject.toml, [tool.mutmut]) one module at a time, then prints per module
the mutants, killed, survived and the score (killed ÷ mutants that some test reached), and the names of
the survivors so that `mutmut show NAME` can explain each one.

    .venv/bin/python bench/mutation.py                          # every module of MODULES
    .venv/bin/python bench/mutation.py activities/services.py   # one module
    .venv/bin/python bench/mutation.py --report                 # print the last results, run nothing
    .venv/bin/python bench/mutation.py --max-children 2 ...     # mutants tested side by side (default 1)

mutmut keeps its results in mutants/ and only re-tests mutants of functions that changed; delete mutants/
after changing tests to measure from scratch. Functions under a decorator (`@transaction.atomic`) are not
mutated by mutmut 3: their rules are pinned by the isolation tests instead (see tests/*/test_isolation.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "activities/services.py",
    "interests/services.py",
    "venues/services.py",
    "ratings/stars.py",
    "ratings/scores.py",
    "notices/services.py",
)
# mutmut's exit codes of a mutant's test run (mutmut/stats.py).
KILLED = {1, 3, 37}
SURVIVED = {0}
NOT_REACHED = {5, 33, 34}
TIMEOUT = {36, 24, -24, 152, 255}


def _mutmut() -> str:
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else (shutil.which("mutmut") or "mutmut")


def run(module: str, max_children: int) -> int:
    dotted = module.removesuffix(".py").replace("/", ".")
    log = ROOT / "mutants" / f"run-{dotted}.log"
    log.parent.mkdir(exist_ok=True)
    print(f"mutmut: {module} (log: {log.relative_to(ROOT)})", flush=True)
    with log.open("w") as out:
        return subprocess.call(
            [_mutmut(), "run", "--max-children", str(max_children), f"{dotted}.*"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def summary(module: str) -> dict | None:
    meta = ROOT / "mutants" / f"{module}.meta"
    if not meta.exists():
        return None
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    counts = Counter()
    survivors = []
    for name, code in codes.items():
        if code in KILLED or code in TIMEOUT:
            counts["killed"] += 1  # a mutant that hangs the tests is caught by the time limit
        elif code in SURVIVED:
            counts["survived"] += 1
            survivors.append(name)
        elif code in NOT_REACHED:
            counts["no tests"] += 1
            survivors.append(name)
        elif code is None:
            counts["not checked"] += 1
        else:
            counts["suspicious"] += 1
    total = len(codes)
    checked = total - counts["not checked"]
    score = 100.0 * counts["killed"] / checked if checked else 0.0
    return {"module": module, "mutants": total, **counts, "score": score, "survivors": sorted(survivors)}


def report(modules) -> None:
    rows = [s for s in (summary(m) for m in modules) if s]
    print(f"\n{'module':<24}{'mutants':>9}{'killed':>8}{'survived':>10}{'no tests':>10}{'score':>8}")
    for r in rows:
        print(
            f"{r['module']:<24}{r['mutants']:>9}{r['killed']:>8}{r['survived']:>10}"
            f"{r['no tests']:>10}{r['score']:>7.1f}%"
            + (f"  ({r['not checked']} not checked)" if r["not checked"] else "")
        )
    for r in rows:
        if r["survivors"]:
            print(f"\nsurvivors of {r['module']} (`mutmut show NAME`):")
            for name in r["survivors"]:
                print(f"  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="print the last results without running mutmut")
    args = parser.parse_args()
    failed = []
    if not args.report:
        for module in args.modules:
            if run(module, args.max_children) != 0:
                failed.append(module)
    report(args.modules)
    if failed:
        print(f"\nmutmut failed on {', '.join(failed)}: see mutants/run-*.log")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
