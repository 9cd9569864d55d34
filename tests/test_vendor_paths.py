"""The SQLite run of CI runs only tests/vendor_paths.py's tests (the whole suite runs on PostgreSQL): a code
path that differs by database vendor and is not named there would run on SQLite nowhere."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from tests import vendor_paths

ROOT = Path(settings.BASE_DIR)
# A branch by vendor: Django's `connection.vendor`, an expression's per-vendor SQL, an ENGINE test.
APP_BRANCH = re.compile(r"\.vendor\b|\bas_(sqlite|postgresql)\(|ENGINE\"\]\.endswith\(")
TEST_BRANCH = re.compile(r"\bconnection\w*(\[[^\]]+\])?\.vendor\s*[!=]=|except IntegrityError:[^\n]*\n\s*pytest\.skip")
# mutants/ is mutmut's copy of the project (`make mutation`), not an app.
NOT_APP = {"tests", "bench", "deploy", "docs", "locale", "static", "templates", ".venv", "var", "mutants"}


def _app_modules():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_APP or rel.parts[0].startswith(".") or "migrations" in rel.parts:
            continue
        yield rel.as_posix(), path.read_text(encoding="utf-8")


def test_every_app_module_that_branches_on_the_vendor_names_its_sqlite_tests():
    branching = {name for name, text in _app_modules() if APP_BRANCH.search(text)}
    assert branching, "the scan found nothing: the pattern no longer matches the code"
    assert branching - {*vendor_paths.VENDOR_BRANCHES, *vendor_paths.POSTGRES_ONLY} == set()
    # And no stale entries: a module that lost its branch leaves the list.
    assert {*vendor_paths.VENDOR_BRANCHES, *vendor_paths.POSTGRES_ONLY} - branching == set()


def test_every_test_module_that_branches_on_the_vendor_is_listed():
    listed = {*vendor_paths.VENDOR_TESTS, *vendor_paths.POSTGRES_ONLY_TESTS}
    branching = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        if TEST_BRANCH.search(path.read_text(encoding="utf-8")):
            branching.add(path.relative_to(ROOT).as_posix())
    assert "tests/staff/test_overview.py" in branching, "the scan no longer sees a known case"
    assert branching - listed == set()
    assert listed - branching == set()


def test_every_listed_path_exists():
    assert [p for p in vendor_paths.embedded_paths() if not (ROOT / p).is_file()] == []
