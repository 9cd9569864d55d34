"""What CI runs on SQLite (`make test TEST_ARGS=--embedded-only`, README "Testing").

The whole suite runs on PostgreSQL through PgBouncer, the production topology. Running it a second time on
SQLite would double CI for code that is the same on both; on SQLite, the embedded default of `make run`, CI
runs the tests of that default and of every code path that differs by database vendor. tests/test_vendor_paths.py
keeps the lists honest: an app module that branches on the vendor, or a test that does, must be named here.
"""

from __future__ import annotations

# App module with a branch by database vendor -> the tests that run its SQLite side.
VENDOR_BRANCHES: dict[str, list[str]] = {
    "accounts/api/authentication.py": ["tests/api/test_token_cache.py"],
    "activities/services.py": [
        "tests/activities/test_registrations.py",
        "tests/portal/activities/test_concurrency.py",
        "tests/activities/test_waiting_list.py",  # waitlist_position counts ahead on SQLite
        "tests/activities/test_registration_for_id.py",  # registration_create_for reads the class first on SQLite
    ],
    # SQLite's write-lock timeout and per-request connections: residents registering at the same moment.
    # read_connection: the session row and the session's user (accounts/sessions.py, accounts/backends.py) are
    # read by prepared statements on PostgreSQL, by the ORM elsewhere.
    "community_college/prepared.py": ["tests/accounts/test_sessions.py", "tests/test_prepared.py"],
    "community_college/settings.py": ["tests/portal/activities/test_concurrency.py"],
    "consultation/selectors.py": ["tests/consultation/test_portal.py"],
    "dashboards/services.py": ["tests/dashboards/test_rollups.py"],
    "dashboards/selectors.py": ["tests/dashboards/test_queries.py", "tests/dashboards/test_pages.py"],
    "demo/base.py": ["tests/test_seed_demo.py"],
    "demo/seed.py": ["tests/test_seed_demo.py"],
    "funds/services.py": ["tests/funds/test_ledger.py"],
    "ops/outbox.py": ["tests/ops/test_outbox.py"],
    "ratings/scores.py": ["tests/ratings/test_scores_sql.py", "tests/dashboards/test_scores.py"],
}

# App modules with a vendor check whose other side SQLite never reaches: why no SQLite test is needed.
POSTGRES_ONLY: dict[str, str] = {
    "ops/backup.py": "refuses anything but PostgreSQL (pg_dump); the CI's restore drill runs it",
}

# Test modules that assert differently by vendor, or whose check only SQLite lets happen.
VENDOR_TESTS: list[str] = [
    "tests/activities/test_isolation.py",
    "tests/activities/test_course_change_locks.py",
    "tests/activities/test_registration_for_id.py",  # the class's counts and the round trip: PostgreSQL's statement  # the change helpers' FOR UPDATE OF is PostgreSQL's only
    "tests/activities/test_waiting_list.py",  # the kept length (PostgreSQL triggers) or the counted queue
    "tests/api/test_token_cache.py",  # the token read and its stamp: one statement on PostgreSQL, two on SQLite
    "tests/consultation/test_portal.py",
    "tests/ops/test_outbox.py",  # deferred deletes of published rows are PostgreSQL's lean registration only
    "tests/portal/activities/test_registration_views.py",
    "tests/ratings/test_scores_kills2.py",  # weights underflowing to 0: SQLite's exp() gives 0, PostgreSQL's raises
    "tests/staff/test_overview.py",  # PostgreSQL's exclusion constraint refuses the overlap it shows
    "tests/venues/test_services_kills.py",  # the row lock's FOR UPDATE OF is only written on PostgreSQL
]

# Test modules with a vendor check that skip on SQLite (they need PostgreSQL): nothing to run there.
POSTGRES_ONLY_TESTS: list[str] = [
    "tests/notices/test_worker_integration.py",
    "tests/ops/test_redis_outage.py",
    "tests/ops/test_replica.py",
]

# `make run` on a fresh machine: the migrations (every test database runs them), the demo seed and its
# logins, the first pages; and this list's own check.
EMBEDDED_DEFAULT: list[str] = [
    "tests/test_project.py",
    "tests/test_error_pages.py",
    "tests/test_seed_demo.py",
    "tests/test_vendor_paths.py",
]


def embedded_paths() -> list[str]:
    return sorted({*EMBEDDED_DEFAULT, *VENDOR_TESTS, *(p for paths in VENDOR_BRANCHES.values() for p in paths)})
