"""Emptying the test database after a transactional test on PostgreSQL: DELETE from the tables that have
rows, in one server-side block, instead of Django's TRUNCATE of every table.

After each transactional test (`transaction=True`, `live_server`: the schemathesis runs, the browser
journeys, the Celery worker, the concurrency tests) Django flushes the database. On PostgreSQL that is one
`TRUNCATE` of all ~120 tables, which gives every table and index a new file and drops the old ones at
commit: 4-5 s even when the tables are empty (measured on this machine, PostgreSQL 15), against ~0.2 s for a
DELETE of each. The tables end just as empty, and TRUNCATE did not restart sequences either (Django's flush
asks for that only with `reset_sequences=True`, which keeps Django's statement).

Tables whose rows a trigger refuses to delete (the funds ledger is append-only, funds/migrations/0002) are
truncated, as before, first: a TRUNCATE must come before the transaction queues any foreign-key check on
the tables it cascades to. Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so the DELETEs may run
in any order and are checked at commit, when every table is empty.

The flush then puts back the rows the migrations left (the default star standard, the city, the content
types and permissions: `snapshot()`, taken once per test database right after it is set up). Every test
then starts from the same database whatever ran before it on its worker, so the transactional tests need not
run last: tests/conftest.py starts the slowest first (Django runs them last only because its flush leaves
the migrations' rows out for the tests that follow).
"""

from __future__ import annotations

from django.db.backends.postgresql.operations import DatabaseOperations

_FLUSH = """
DO $flush$
DECLARE
    t text;
    has_rows boolean;
    filled text[] := '{{}}';
    guarded text[] := '{{}}';
BEGIN
    FOREACH t IN ARRAY ARRAY[{tables}]::text[] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO has_rows;
        CONTINUE WHEN NOT has_rows;
        -- tgtype bit 3: the trigger fires on DELETE.
        IF EXISTS (
            SELECT 1 FROM pg_trigger
            WHERE tgrelid = format('%I', t)::regclass AND NOT tgisinternal AND tgenabled <> 'D' AND tgtype & 8 <> 0
        ) THEN
            guarded := guarded || t;
        ELSE
            filled := filled || t;
        END IF;
    END LOOP;
    IF cardinality(guarded) > 0 THEN
        EXECUTE 'TRUNCATE ' || (SELECT string_agg(format('%I', g), ', ') FROM unnest(guarded) AS g) || ' CASCADE';
    END IF;
    FOREACH t IN ARRAY filled LOOP
        EXECUTE format('DELETE FROM %I', t);
    END LOOP;
END
$flush$;
"""

_django_sql_flush = DatabaseOperations.sql_flush
# Table -> the INSERT that puts back its rows as the migrations left them.
_baseline: dict[str, str] = {}


def snapshot(connection) -> int:
    """Remember the rows of the freshly migrated test database, for every flush to put back; returns the
    number of tables that have rows."""
    _baseline.clear()
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        for table in sorted(tables):
            if table == "django_migrations":
                continue  # never flushed
            quoted = connection.ops.quote_name(table)
            # As JSON, which PostgreSQL reads back into the table's own row type, whatever the columns' types.
            cursor.execute(f"SELECT json_agg(t)::text FROM {quoted} AS t")
            (rows,) = cursor.fetchone()
            if rows is None:
                continue
            literal = cursor.mogrify("%s", [rows]).decode()
            _baseline[table] = (
                f"INSERT INTO {quoted} SELECT * FROM json_populate_recordset(NULL::{quoted}, {literal})"
            )
    return len(_baseline)


def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if not tables or reset_sequences:
        return _django_sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    literals = ", ".join("'{}'".format(table.replace("'", "''")) for table in tables)
    return [
        _FLUSH.format(tables=literals),
        *(_baseline[table] for table in sorted(tables) if table in _baseline),
    ]


def install():
    """Use the DELETE flush for every PostgreSQL connection of this process; returns the undo."""
    DatabaseOperations.sql_flush = sql_flush

    def undo():
        DatabaseOperations.sql_flush = _django_sql_flush
        _baseline.clear()

    return undo
