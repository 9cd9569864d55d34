"""Print the top-level import graph of the project and its longest functions.

    python bench/import_graph.py            # for each package, the packages it imports
    python bench/import_graph.py --longest 15

Counts `import x` / `from x import y` anywhere in a module (lazy imports inside functions too) and model
references by string ("activities.Course" in a ForeignKey, apps.get_model), because a string reference is
a dependency all the same (except in settings, which name every app). Migrations and tests are left out: they are generated, or sit above everything.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings name every app by design (INSTALLED_APPS, AUTH_USER_MODEL, beat tasks): configuration, not use.
CONFIG = {"community_college/settings.py"}
SKIP_DIRS = {"tests", "bench", "locale", "static", "templates", ".venv", "migrations", "node_modules"}


def packages() -> list[str]:
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in SKIP_DIRS
    )


# Web modules (and entry points) may import anything below the web layer; `--domain` leaves them out.
WEB = re.compile(
    r"(^|/)(views|urls|api|forms|allauth_forms|adapter|resources|context_processors|admin\w*)(\.py$|/)"
    r"|(^|/)(templatetags|management|api)/"
    r"|^community_college/(settings|celery|wsgi|asgi)\.py$"
)


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if SKIP_DIRS & set(path.relative_to(ROOT).parts):
            continue
        yield path




def edges(pkgs: list[str], *, domain_only: bool = False) -> dict[str, dict[str, set[str]]]:
    """graph[a][b] = the modules of a that import b."""
    graph: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in pkgs}
    string_ref = re.compile(rf"({'|'.join(pkgs)})\.[A-Z]\w*")
    for pkg in pkgs:
        for path in modules(pkg):
            source = path.read_text(encoding="utf-8")
            rel = str(path.relative_to(ROOT))
            if domain_only and WEB.search(rel):
                continue
            for node in ast.walk(ast.parse(source)):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and rel not in CONFIG:
                    match = string_ref.fullmatch(node.value)
                    if match:
                        names = [match.group(1)]
                for name in names:
                    top = name.split(".")[0]
                    if top in graph and top != pkg:
                        graph[pkg][top].add(rel)
    return graph


def longest(n: int) -> list[tuple[int, str]]:
    found = []
    for pkg in packages():
        for path in modules(pkg):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    found.append((length, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)[:n]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--longest", type=int, default=0, help="also print the N longest functions")
    parser.add_argument("--domain", action="store_true", help="domain modules only (no views, admin, api ...)")
    parser.add_argument("--why", action="store_true", help="list the importing modules under each edge")
    args = parser.parse_args(argv)
    pkgs = packages()
    graph = edges(pkgs, domain_only=args.domain)
    for pkg in pkgs:
        targets = sorted(graph[pkg])
        print(f"{pkg:18} -> {', '.join(targets) if targets else '(nothing)'}")
        if args.why:
            for target in targets:
                print(f"{'':20}{target}: {', '.join(sorted(graph[pkg][target]))}")
    if args.longest:
        print()
        for length, where in longest(args.longest):
            print(f"{length:5}  {where}")


if __name__ == "__main__":
    main(sys.argv[1:])
