"""Test databases copied from one the migrations already made: on PostgreSQL from TEST_DATABASE_TEMPLATE, on
SQLite from the first pytest-xdist worker's (below).

pytest-django creates each pytest-xdist worker's test database and runs every migration into it: on
PostgreSQL ~32 CPU-seconds of this machine per database, both workers at once at the start of CI's
PostgreSQL stage, each on its core, before the first test. CI's restore drill runs the same migrations into
a fresh database of its own minutes earlier, beside the SQLite stage (.ci/run); a copy of it taken before the
drill seeds it is the template, and each worker's test database is `CREATE DATABASE ... TEMPLATE` of it, in
about a second. Same migrations, same server, same code: the drill's `manage.py migrate` and Django's test
database creation (`migrate --run-syncdb`) make the same tables, indexes, triggers, content types and
permissions here (compared: the apps without migrations, allauth's base app, simple_history and
django_prometheus, have no tables of their own). Without the variable, on another vendor, or with
--reuse-db or --nomigrations, pytest-django creates the database as before.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path


def template_name() -> str:
    return os.environ.get("TEST_DATABASE_TEMPLATE", "")


def applies(*, keepdb: bool, migrations: bool) -> bool:
    from django.db import connections

    return (
        bool(template_name()) and not keepdb and migrations and connections["default"].vendor == "postgresql"
    )


def clone(*, serialized_aliases: set[str]) -> str:
    """Creates the default alias's test database from the template, makes the aliases that mirror it in tests
    (the replica) point at it, and returns the database's name before the tests (for destroy)."""
    from django.db import connections
    from django.test.utils import get_unique_databases_and_mirrors

    test_databases, mirrored_aliases = get_unique_databases_and_mirrors()
    names = {aliases[0] for _name, aliases in test_databases.values()}
    if names != {"default"}:
        raise RuntimeError(f"TEST_DATABASE_TEMPLATE clones the default database only, not {sorted(names)}")
    db = connections["default"]
    old_name = db.settings_dict["NAME"]
    test_name = db.creation._get_test_db_name()
    if test_name == template_name():
        raise RuntimeError(f"the test database would be its own template: {test_name}")
    quote = db.ops.quote_name
    db.close()
    with db._nodb_cursor() as cursor:
        # A database of the same name is what an interrupted run left: Django's creation drops it too.
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
        cursor.execute(f"CREATE DATABASE {quote(test_name)} WITH TEMPLATE {quote(template_name())}")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db.settings_dict["NAME"] = test_name
    for alias, mirror in mirrored_aliases.items():
        connections[alias].creation.set_as_test_mirror(connections[mirror].settings_dict)
    db.ensure_connection()
    if "default" in serialized_aliases:
        db._test_serialized_contents = db.creation.serialize_db_to_string()
    return old_name


def destroy(old_name: str, *, verbosity: int) -> None:
    from django.db import connections

    connections["default"].creation.destroy_test_db(old_name, verbosity)


# SQLite, the embedded default (CI's SQLite stage, `make test` on a fresh machine): each pytest-xdist worker's
# test database lives in its own memory, and each ran every migration (~36 CPU-seconds of this machine).
# The first worker to need its database migrates it as pytest-django does and writes a copy to a file of
# this run's; a worker that comes later waits for that, then loads the copy into its own memory (SQLite's
# backup, in milliseconds). On CI's 2 cores the waiting worker's core serves the checks and the restore drill
# running beside the stage. Should the first worker fail before the copy is written, the next one migrates.


def shares_sqlite(config, *, keepdb: bool, migrations: bool) -> bool:
    from django.db import connections

    db = connections["default"]
    return (
        hasattr(config, "workerinput")
        and not keepdb
        and migrations
        and db.vendor == "sqlite"
        and db.creation.is_in_memory_db(db.creation._get_test_db_name())
    )


@contextmanager
def sqlite_copy(config):
    """Yields the path of this run's migrated copy (existing or not yet), holding the run's lock: a worker
    that finds it absent migrates and writes it before the lock is let go."""
    folder = Path(tempfile.gettempdir()) / f"cc-test-db-{config.workerinput['testrunuid']}"
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder / "default.sqlite3"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sqlite_write(path: Path) -> None:
    from django.db import connections

    target = sqlite3.connect(path.with_suffix(".part"))
    try:
        connections["default"].connection.backup(target)
    finally:
        target.close()
    path.with_suffix(".part").rename(path)


def sqlite_load(path: Path, *, serialized_aliases: set[str]) -> str:
    """This worker's in-memory test database, as Django's creation names it, loaded from the copy; returns
    the database's name before the tests (for destroy)."""
    from django.conf import settings
    from django.db import connections

    db = connections["default"]
    old_name = db.settings_dict["NAME"]
    test_name = db.creation._get_test_db_name()
    db.close()
    settings.DATABASES["default"]["NAME"] = db.settings_dict["NAME"] = test_name
    db.ensure_connection()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(db.connection)
    finally:
        source.close()
    if "default" in serialized_aliases:
        db._test_serialized_contents = db.creation.serialize_db_to_string()
    return old_name


def sqlite_forget(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
