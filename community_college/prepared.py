"""Server-side prepared statements for the hot paths' big statements: parsed and planned once per connection.

PostgreSQL parses, analyses and plans a statement sent as text on every execution. The registration statement
(activities/registration_sql.py, a CTE of a dozen parts) took longer to plan than to run: about 1 ms of the
backend's CPU of each registration, against 0.45 ms prepared (issue 20, measured on this machine). A statement
here is PREPAREd on a connection the first time it runs there and EXECUTEd afterwards; after five executions
PostgreSQL keeps a generic plan when it is no dearer than the custom ones (plan_cache_mode auto).

A prepared statement outlives a rollback (PREPARE is not transactional) and is replanned by PostgreSQL itself
when a table it reads changes. It belongs to one server connection: the backend (community_college/postgresql)
forgets what it prepared when it opens a new one, and behind PgBouncer in transaction mode
(settings.DATABASE_POOLER), where a client does not keep its server connection, statements are sent as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router

_PARAM = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Statement:
    name: str
    text: str  # as psycopg2 takes it, with %(name)s parameters: sent as it is where nothing is prepared
    prepare: str  # PREPARE name (types) AS the text with $n parameters
    execute: str  # EXECUTE name(%(a)s, %(b)s, ...)


def statement(name: str, text: str, types: dict[str, str]) -> Statement:
    """`text` with psycopg2's named parameters; `types` gives each parameter's PostgreSQL type (an INSERT …
    SELECT would otherwise read an untyped parameter as text)."""
    order: list[str] = []

    def number(match: re.Match) -> str:
        key = match.group(1)
        if key not in types:
            raise ValueError(f"{name}: no type for parameter {key!r}")
        if key not in order:
            order.append(key)
        return f"${order.index(key) + 1}"

    # PREPARE is sent without parameters, so psycopg2 leaves its text alone: a literal % is written once.
    body = _PARAM.sub(number, text).replace("%%", "%")
    return Statement(
        name=name,
        text=text,
        prepare=f"PREPARE {name} ({', '.join(types[k] for k in order)}) AS {body}",
        execute=f"EXECUTE {name}({', '.join(f'%({k})s' for k in order)})",
    )


def execute(connection, cursor, stmt: Statement, params: dict) -> None:
    """Run `stmt` on `cursor` (of `connection`): prepared on this server connection, else as text."""
    prepared = getattr(connection, "prepared_statements", None)
    if prepared is None or getattr(settings, "DATABASE_POOLER", "") == "pgbouncer":
        cursor.execute(stmt.text, params)
        return
    if stmt.name not in prepared:
        cursor.execute(stmt.prepare)
        prepared.add(stmt.name)
    cursor.execute(stmt.execute, params)


def read_connection(model):
    """The connection `model` is read from when it is PostgreSQL's, else None (the caller reads by the ORM)."""
    connection = connections[router.db_for_read(model) or DEFAULT_DB_ALIAS]
    return connection if connection.vendor == "postgresql" else None


def fetch_instance(connection, stmt: Statement, params: dict, model, extra: tuple[str, ...] = ()):
    """The first row of `stmt` as an instance of `model`, or None: what a queryset's get() builds, without the
    queryset. The statement selects the concrete fields' columns in order (as `columns(model)` lists them),
    then one column for each name in `extra`, set on the instance as an attribute (as an annotation is)."""
    with connection.cursor() as cursor:
        execute(connection, cursor, stmt, params)
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(model._meta.concrete_fields)
    instance_ = instance(connection, model, row[:n])
    for name, value in zip(extra, row[n:], strict=True):
        setattr(instance_, name, value)
    return instance_


def instance(connection, model, values):
    """An instance of `model` from its concrete fields' values in order, as read from `connection`: the backend's
    conversions, then the fields' own, applied as a queryset applies them (SQLite hands back a datetime as
    naive text, which only its backend's converter makes an aware datetime)."""
    attnames, convertible = _shape(model, connection)
    values = list(values)
    if len(values) != len(attnames):
        raise ValueError(f"{model.__name__}: {len(values)} values for {len(attnames)} fields")
    for i, col in convertible:
        value = values[i]
        for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            value = convert(value, col, connection)
        values[i] = value
    return model.from_db(connection.alias, attnames, values)


_shapes: dict[tuple[type, str], tuple[list[str], tuple]] = {}


def _shape(model, connection) -> tuple[list[str], tuple]:
    # Per model and vendor, once: the attribute names, and the fields that have a conversion at all (on
    # PostgreSQL few or none: asking every field for its converters on every row was most of the work).
    key = (model, connection.vendor)
    shape = _shapes.get(key)
    if shape is None:
        fields = model._meta.concrete_fields
        convertible = tuple(
            (i, f.cached_col)
            for i, f in enumerate(fields)
            if connection.ops.get_db_converters(f.cached_col) or f.cached_col.get_db_converters(connection)
        )
        shape = _shapes[key] = ([f.attname for f in fields], convertible)
    return shape


def columns(model, alias: str = "") -> str:
    """The model's concrete fields' columns, in order, for a SELECT that `fetch_instance` reads."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{f.column}"' for f in model._meta.concrete_fields)
