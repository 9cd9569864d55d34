"""Demo data: what every stage shares (the report, the small records passed between stages, the seeder's
plumbing). The stages are mixins in demo/org.py, vocabulary.py, people.py, places.py, teaching.py,
classes.py, orders.py and funds.py; demo/seed.py puts them together."""

from __future__ import annotations

import io
import math
import random
import sys
import time as clock
from bisect import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from .data import (
    BATCH_SIZE,
    COPY_CHUNK,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DISTRICT_SEED_STRIDE,
    MOBILE_PREFIXES,
    Scale,
    district_accounts,
    district_spec,
)


@dataclass
class SeedReport:
    scale: str
    seed: int
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Seconds spent writing each table (mostly the database's time).
    insert_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def _weighted(rng: random.Random, cum: list[float]) -> int:
    """Index drawn from cumulative weights (faster than rng.choices for one draw)."""
    return bisect(cum, rng.random() * cum[-1])


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if any(ch in value for ch in "\\\t\n\r"):
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular is plenty at district size (< 0.1% error over 40 km).
    dx = (lon2 - lon1) * 111.195 * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * 111.195
    return math.hypot(dx, dy)


def _term_of(day: date) -> tuple[str, date, date]:
    """Spring term February–July, autumn term August–January: every day belongs to one term."""
    if 2 <= day.month <= 7:
        return f"{day.year}年春季学期", date(day.year, 2, 1), date(day.year, 7, 31)
    year = day.year if day.month >= 8 else day.year - 1
    return f"{year}年秋季学期", date(year, 8, 1), date(year + 1, 1, 31)


@dataclass
class _Community:
    id: int
    street_idx: int
    name: str
    lat: float
    lon: float
    population: int
    grid_ids: list[int]
    college_id: int = 0
    staff_id: int = 0
    residents: list[int] = field(default_factory=list)  # resident indexes
    venues: list[int] = field(default_factory=list)  # venue indexes


@dataclass
class _Venue:
    id: int
    community: int
    lat: float
    lon: float
    capacity: int
    facilities: frozenset[str]
    requires_confirmation: bool
    open_slots: list[int]  # indexes of the weekly slots its opening hours cover


@dataclass
class _Teacher:
    id: int
    lat: float
    lon: float
    max_weekly: int
    max_km: float
    free_slots: frozenset[int]


@dataclass
class _Course:
    obj: object
    community: int
    leaf: int
    venue: int
    teacher: int
    slot: int
    dates: list[date]
    confirmed: list[int]
    waitlisted: list[int]
    cancelled: list[int]
    closed: bool
    cancelled_dates: frozenset[date]
    session_objs: list = field(default_factory=list)


class DemoDataError(Exception):
    pass


class SeederBase:
    """The seeder's plumbing: its random source and clock, progress bars, and fast inserts."""

    def __init__(self, scale: Scale, *, seed: int, now: datetime, progress: bool, district_index: int = 0):
        self.scale = scale
        # District k ≥ 1 of a city demo: its own seed, names, centre and demo logins (`demo.data.district_spec`).
        self.district_index = district_index
        self.district_spec = district_spec(district_index)
        self.accounts = district_accounts(district_index)
        seed = seed + DISTRICT_SEED_STRIDE * district_index
        self.rng = random.Random(seed)
        self.now = now
        self.tz = timezone.get_default_timezone()
        self.today = timezone.localdate(now, self.tz)
        self.progress = progress
        self.report = SeedReport(scale=scale.name, seed=seed)
        self.password = make_password(DEMO_PASSWORD)  # hashed once, reused for every account
        self.used_phones: set[str] = {a.phone for a in DEMO_ACCOUNTS} | {a.phone for a in self.accounts}

    def bar(self, total: int, unit: str = "rows"):
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=f"{self._stage:>14}",
            unit=f" {unit}",
            unit_scale=total >= 10_000,
            file=sys.stderr,
            disable=not self.progress,
            leave=True,
            dynamic_ncols=True,
        )

    def insert(self, model, objs: list, bar=None) -> list:
        """bulk_create in batches; primary keys come back (PostgreSQL, SQLite ≥ 3.35)."""
        started = clock.perf_counter()
        for i in range(0, len(objs), BATCH_SIZE):
            chunk = objs[i : i + BATCH_SIZE]
            model.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
            if bar is not None:
                bar.update(len(chunk))
        self.report.rows[model._meta.label] += len(objs)
        self.report.insert_seconds[model._meta.label] += clock.perf_counter() - started
        return objs

    def insert_rows(self, model, fields: list[str], rows: list[tuple], bar=None) -> range:
        """The lean path for the big tables: plain tuples, no model instances. Returns the new primary keys.

        bulk_create spends ~60 µs a row on model instances and per-field preparation, two minutes for the
        district's two million rows. Here a row costs a tuple: primary keys are allocated from MAX(id)
        (we hold the only writing transaction of a seed), columns not given are filled as bulk_create
        would (auto_now stamps, defaults, callable defaults per row, NULL), and the rows go out with
        executemany on SQLite and COPY on PostgreSQL. (psycopg2's execute_values was tried first, COPY-free:
        the district took 150 s on 2 busy cores, too close to the 3-minute budget; with COPY, 56–94 s.)
        """
        started = clock.perf_counter()
        meta = model._meta
        ops = connection.ops
        by_name = {f.name: f for f in meta.local_concrete_fields} | {
            f.attname: f for f in meta.local_concrete_fields
        }
        given = [by_name[name] for name in fields]
        extra = [f for f in meta.local_concrete_fields if f is not meta.pk and f not in given]
        adapters = {
            "DateTimeField": ops.adapt_datetimefield_value,
            "DateField": ops.adapt_datefield_value,
            "TimeField": ops.adapt_timefield_value,
        }
        adapt = [adapters.get(f.get_internal_type()) for f in given]
        const_fields, constants, call_fields, per_row = [], [], [], []
        for f in extra:
            kind_adapter = adapters.get(f.get_internal_type()) or (lambda v: v)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                const_fields.append(f)
                constants.append(kind_adapter(self.now))
            elif f.has_default() and callable(f.default):
                call_fields.append(f)
                per_row.append(lambda default=f.default, adapt=kind_adapter: adapt(default()))
            elif f.has_default() or f.null:
                const_fields.append(f)
                constants.append(kind_adapter(f.get_default()) if f.has_default() else None)
            else:
                raise DemoDataError(f"{meta.label}.{f.name} needs a value in the demo seed.")
        columns = [f.column for f in (meta.pk, *given, *const_fields, *call_fields)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MAX({ops.quote_name(meta.pk.column)}) FROM {ops.quote_name(meta.db_table)}"
            )
            start = (cursor.fetchone()[0] or 0) + 1
            raw = cursor.cursor
            table = ops.quote_name(meta.db_table)
            names = ", ".join(ops.quote_name(c) for c in columns)
            postgres = connection.vendor == "postgresql"
            if postgres:
                sql = f"COPY {table} ({names}) FROM STDIN"
            else:
                marks = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(columns))
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            need_adapt = [(i, a) for i, a in enumerate(adapt) if a is not None]
            tail = tuple(constants)
            step = COPY_CHUNK if postgres else BATCH_SIZE
            for begin in range(0, len(rows), step):
                chunk = rows[begin : begin + step]
                if need_adapt:
                    adapted = []
                    for row in chunk:
                        row = list(row)
                        for i, a in need_adapt:
                            row[i] = a(row[i])
                        adapted.append(row)
                    chunk = adapted
                values = [
                    (start + begin + k, *row, *tail, *(call() for call in per_row))
                    for k, row in enumerate(chunk)
                ]
                if postgres:
                    raw.copy_expert(
                        sql, io.StringIO("".join("\t".join(map(_copy_text, v)) + "\n" for v in values))
                    )
                else:
                    raw.executemany(sql, values)
                if bar is not None:
                    bar.update(len(chunk))
            # Later inserts in this run (bulk_create, the portal) draw ids from the sequence: move it past
            # ours now. SQLite's AUTOINCREMENT follows explicit ids by itself (the statement list is empty).
            for statement in ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.report.rows[meta.label] += len(rows)
        self.report.insert_seconds[meta.label] += clock.perf_counter() - started
        return range(start, start + len(rows))

    def insert_all(self, *batches: tuple) -> None:
        """Insert several (model, objs) lists under one progress bar."""
        with self.bar(sum(len(objs) for _m, objs in batches)) as bar:
            for model, objs in batches:
                self.insert(model, objs, bar)

    def phone(self) -> str:
        rng = self.rng
        while True:
            number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def name(self) -> str:
        rng = self.rng
        surname = self.surnames[_weighted(rng, self.surname_cum)]
        return surname + rng.choice(self.given_names)

    def at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.tz)

    def jitter(self, lat: float, lon: float, sd_deg: float) -> tuple[float, float]:
        return round(lat + self.rng.gauss(0, sd_deg), 6), round(lon + self.rng.gauss(0, sd_deg), 6)

