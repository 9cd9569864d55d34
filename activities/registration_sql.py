"""The registration's lean path on PostgreSQL: one statement that registers, written once per process.

`registration_create` runs it (activities/services.py); SQLite keeps the ORM path, with the same tests on
both. One statement, in the caller's transaction or as its own (autocommit), does what the ORM path does in
eight queries (and the page's or the API's read of the class, `registration_create_for`):

- reads the class as its snapshot sees it, every column, for a caller that has not read it
  (`registration_create_for`), with the resident's calendar token; and refuses first, as `priority` does, a
  registration before the class's opening for a resident without a pass whose days early have begun;
- finds the resident's live registration (a double-click answers with it, nothing written);
- locks the class row (FOR UPDATE: registrations of one class queue here, as the conditional UPDATE of the
  ORM path makes them) and refuses a class whose term has ended, whose meetings are all behind it, or that
  is not open;
- inserts the registration, confirmed while a place is free and on the waiting list otherwise, with ON
  CONFLICT DO NOTHING on the "one live registration" index for the double-click that raced past the first
  check; `created` is read after the lock, so the waiting list is served in the order the lock was granted;
- counts the place on the class row (the CheckConstraint `course_not_oversold` stays the backstop) — a
  waiting registration writes the row too, unchanged, which is what lets a later statement know whether its
  snapshot is older than the version it locked (below);
- writes simple-history's row and the notices' outbox rows (ops/outbox.py: held by `outbox.held`, one for
  each outcome the statement may have, the one that happened is written);
- answers with the registration, the class's places, the waiting list's length and the resident's place in
  it. The length is not counted: the database keeps it per class (activities.WaitingList, by triggers), and
  the statement reads it with an upsert after the class row is locked, which returns the latest committed
  count even when it was written after this statement's snapshot (a statement that waited for the lock); a
  new waiting registration is the last in line, so its place is that count plus one. Counting the queue
  instead made every request of a rush read the whole queue (issue 20: most of PostgreSQL's time).

The notice's outbox row, once the on-commit fast path has published it, is not deleted by a round trip of its
own: its id waits in this process's `published` list and the process's next registration statement deletes
it (a CTE). A process that serves no registration for FLUSH_SECONDS deletes what waits at the end of its
next request (`flush_published`, on request_finished); one that is stopped leaves the rows to the relay,
which publishes them once more after OUTBOX_GRACE_SECONDS (delivery is at least once, the tasks idempotent).

The registration's id is taken before the statement, from ids this process reserves from the table's
sequence (the statement reserves the next batch when few are left), because the notice's outbox message
names it. Ids are unique; under several processes they are not in time order — the waiting list is
ordered by `created` (then id), never by id alone.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.core.signals import request_finished
from django.db import connection

from community_college import prepared
from ops.outbox import MessageData

ID_BATCH = 32
# Reserve the next batch when fewer than this are left, in the registration statement itself.
ID_LOW_WATER = 8
# Published outbox rows wait at most this long for a registration statement to delete them; well inside the
# relay's grace (OUTBOX_GRACE_SECONDS, 30 s by default), after which it would publish them again.
FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class Row:
    """What the statement answers. `outcome`: "created", "existing", "refused", "conflict" (the double-click
    that lost the race: the live registration is read afresh) or "missing" (no such class)."""

    outcome: str
    refusal: str | None  # course_past:term, course_past:meetings, course_closed, registration_not_open
    registration_id: int | None
    status: str | None
    created: datetime | None
    status_changed: datetime | None
    order_id: int | None
    placed_by_id: int | None
    course_status: str | None
    capacity: int | None
    confirmed_count: int | None
    waiting: int | None
    ahead: int | None
    outbox: list[MessageData]
    calendar_token: str  # the resident's ("" without a profile), for the status block's calendar link
    course_values: tuple | None  # the class's concrete fields' values, in order, as the snapshot saw them


class _Ids:
    """Registration ids reserved from the sequence, per process, handed out once each."""

    def __init__(self) -> None:
        self._free: list[int] = []
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            return self._free.pop() if self._free else None

    def give_back(self, pk: int) -> None:
        with self._lock:
            self._free.append(pk)

    def add(self, pks) -> None:
        with self._lock:
            # Smallest last: popped first, so one process's registrations keep rising ids.
            self._free.extend(sorted(pks, reverse=True))

    def want(self) -> int:
        with self._lock:
            return ID_BATCH if len(self._free) < ID_LOW_WATER else 0

    def clear(self) -> None:
        with self._lock:
            self._free.clear()


ids = _Ids()


class _Published:
    """Ids of outbox rows this process published and has not deleted yet, with the time of the oldest."""

    def __init__(self) -> None:
        self._pks: list[int] = []
        self._since: float | None = None
        self._lock = threading.Lock()

    def add(self, pk: int) -> None:
        with self._lock:
            self._pks.append(pk)
            if self._since is None:
                self._since = time.monotonic()

    def take(self, *, older_than: float = 0.0) -> list[int]:
        """All waiting ids (none unless the oldest has waited `older_than` seconds); they are the caller's
        to delete, or to `give_back`."""
        with self._lock:
            if not self._pks or time.monotonic() - self._since < older_than:
                return []
            pks, self._pks, self._since = self._pks, [], None
            return pks

    def give_back(self, pks: list[int]) -> None:
        with self._lock:
            if pks:
                self._pks.extend(pks)
                self._since = self._since or time.monotonic()


published = _Published()


def flush_published(**kwargs) -> None:
    """request_finished: delete the published rows that have waited FLUSH_SECONDS for a registration
    statement (a process between rushes), in one round trip that does not wait for the WAL flush."""
    from django.db import connection

    if connection.connection is None:
        # A request that opened no connection (a liveness probe reads nothing) does not open one for this.
        return
    pks = published.take(older_than=FLUSH_SECONDS)
    if not pks:
        return
    from ops import outbox

    try:
        outbox._forget(*pks)
    except Exception:
        # The database is away or closed to this request: the rows stay for the relay, which publishes
        # them once more (delivery is at least once). A finished request never fails for this.
        logging.getLogger(__name__).warning("outbox: %s published rows left to the relay", len(pks))


request_finished.connect(flush_published, dispatch_uid="activities.registration_sql.flush_published")


def _tables() -> dict[str, str]:
    from interests.models import ResidentProfile
    from ops.models import OutboxMessage

    from .models import Course, PriorityPass, Registration, Session, Term, WaitingList

    return {
        "course": Course._meta.db_table,
        "course_columns": prepared.columns(Course, "s"),
        "priority": PriorityPass._meta.db_table,
        "profile": ResidentProfile._meta.db_table,
        "reg": Registration._meta.db_table,
        "hist": Registration.history.model._meta.db_table,
        "session": Session._meta.db_table,
        "waiting": WaitingList._meta.db_table,
        "term": Term._meta.db_table,
        "outbox": OutboxMessage._meta.db_table,
    }


_RESERVE = "SELECT nextval(pg_get_serial_sequence('{reg}', 'id')) FROM generate_series(1, %s)"

_REGISTER = """
WITH seen AS (
    -- The class as this statement's snapshot sees it (the caller's page is built from it), and whether its
    -- registration has not opened yet for this resident (activities/priority.py: no pass, or one whose days
    -- early have not begun), which is refused before anything else, as registration_create refuses it.
    SELECT *,
           coalesce(registration_opens_at > %(now)s AND NOT EXISTS (
               SELECT 1 FROM {priority} p
               WHERE p.holder_id = %(resident)s AND p.course_id = %(course)s
                 AND registration_opens_at - make_interval(days => p.days_early) <= %(now)s
           ), false) AS not_open
    FROM {course} WHERE id = %(course)s
),
existing AS (
    SELECT id, status, created, status_changed, order_id, placed_by_id
    FROM {reg}
    WHERE course_id = %(course)s AND resident_id = %(resident)s AND status IN ('confirmed', 'waitlisted')
      AND NOT EXISTS (SELECT 1 FROM seen WHERE not_open)
    LIMIT 1  -- at most one (registration_one_live_per_course); its index finds it
),
c AS (
    SELECT c.id, c.status, c.capacity, c.confirmed_count,
           (t.ends_on IS NOT NULL AND t.ends_on < %(today)s) AS term_over,
           EXISTS (SELECT 1 FROM {session} s WHERE s.course_id = c.id AND s.status <> 'cancelled') AS has_live,
           EXISTS (
               SELECT 1 FROM {session} s
               WHERE s.course_id = c.id AND s.status = 'scheduled' AND s.starts_at > %(now)s
           ) AS has_to_come
    FROM {course} c LEFT JOIN {term} t ON t.id = c.term_id
    WHERE c.id = %(course)s AND NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM seen WHERE not_open)
    FOR UPDATE OF c
),
ok AS (
    SELECT id, capacity, confirmed_count FROM c
    WHERE NOT term_over AND NOT (has_live AND NOT has_to_come) AND status = 'open'
),
ins AS (
    INSERT INTO {reg} (id, course_id, resident_id, status, order_id, placed_by_id, created, status_changed)
    SELECT %(id)s, x.id, %(resident)s,
           CASE WHEN x.confirmed_count < x.capacity THEN 'confirmed' ELSE 'waitlisted' END,
           %(order)s, %(placed_by)s, x.ts, x.ts
    FROM (SELECT ok.*, clock_timestamp() AS ts FROM ok) x
    ON CONFLICT (course_id, resident_id) WHERE status IN ('confirmed', 'waitlisted') DO NOTHING
    RETURNING id, status, created, status_changed
),
bump AS (
    UPDATE {course} AS u
    SET confirmed_count = u.confirmed_count + CASE WHEN ins.status = 'confirmed' THEN 1 ELSE 0 END
    FROM ins
    WHERE u.id = %(course)s
    RETURNING u.confirmed_count
),
hist AS (
    INSERT INTO {hist} (id, course_id, resident_id, status, order_id, placed_by_id, created, status_changed,
                        history_date, history_change_reason, history_type, history_user_id)
    SELECT id, %(course)s, %(resident)s, status, %(order)s, %(placed_by)s, created, status_changed,
           created, NULL, '+', %(history_user)s
    FROM ins
),
gone AS (
    -- Outbox rows of this process's earlier registrations, published since: done with.
    DELETE FROM {outbox} WHERE id = ANY(%(published)s::bigint[])
),
out AS (
    INSERT INTO {outbox} (task_name, args, kwargs, headers, created, available_at, attempts, last_error)
    SELECT m.task_name, m.args, m.kwargs, m.headers, ins.created, ins.created, 0, ''
    FROM ins
    JOIN jsonb_to_recordset(%(messages)s::jsonb) AS m(kind text, task_name text, args jsonb, kwargs jsonb, headers jsonb)
      ON m.kind = ins.status
    RETURNING id, task_name, args, kwargs, headers
),
wl AS (
    -- The waiting list's length, after the class row is locked (it reads `ok`): ON CONFLICT DO UPDATE locks
    -- and returns the latest committed row even if this statement's snapshot predates it (READ COMMITTED),
    -- and creates the row for a class that has had no waiting list yet. The triggers add this statement's
    -- own waiting registration once it has run.
    INSERT INTO {waiting} AS w (course_id, waiting)
    SELECT id, 0 FROM ok
    ON CONFLICT (course_id) DO UPDATE SET waiting = w.waiting
    RETURNING w.waiting
),
queued AS (
    -- Locked and latest when this statement registers; else (a double-click, a refusal) as its snapshot
    -- saw it, consistent with the snapshot's rows that `ahead` counts.
    SELECT coalesce(
        (SELECT waiting FROM wl),
        (SELECT waiting FROM {waiting} WHERE course_id = %(course)s),
        0
    ) AS n
),
me AS (
    SELECT i.id, i.status, i.created FROM ins i
    UNION ALL
    SELECT e.id, e.status, e.created FROM existing e
)
SELECT
    (SELECT count(*) FROM existing) AS has_existing,
    (SELECT count(*) FROM c) AS locked,
    (SELECT count(*) FROM ins) AS inserted,
    CASE WHEN (SELECT not_open FROM seen) THEN 'registration_not_open'
    ELSE (SELECT CASE WHEN term_over OR (has_live AND NOT has_to_come) THEN 'course_past'
                      WHEN status <> 'open' THEN 'course_closed' END FROM c) END AS refusal,
    (SELECT CASE WHEN term_over THEN 'term' ELSE 'meetings' END FROM c) AS past_why,
    coalesce((SELECT id FROM ins), (SELECT id FROM existing)) AS registration_id,
    coalesce((SELECT status FROM ins), (SELECT status FROM existing)) AS status,
    coalesce((SELECT created FROM ins), (SELECT created FROM existing)) AS created,
    coalesce((SELECT status_changed FROM ins), (SELECT status_changed FROM existing)) AS status_changed,
    (SELECT order_id FROM existing) AS existing_order_id,
    (SELECT placed_by_id FROM existing) AS existing_placed_by_id,
    coalesce((SELECT status FROM c), (SELECT status FROM seen)) AS course_status,
    coalesce((SELECT capacity FROM c), (SELECT capacity FROM seen)) AS capacity,
    coalesce((SELECT confirmed_count FROM bump), (SELECT confirmed_count FROM c), (SELECT confirmed_count FROM seen))
        AS confirmed_count,
    (SELECT n FROM queued) + (SELECT count(*) FROM ins WHERE status = 'waitlisted') AS waiting,
    -- A registration inserted now is the last in line: everyone waiting is ahead of it. A double-click's
    -- place is counted, on the waiting list's index, among the rows its snapshot sees (rare).
    CASE WHEN EXISTS (SELECT 1 FROM ins) THEN (SELECT n FROM queued)
    ELSE (SELECT count(*) FROM {reg} w, me
            WHERE w.course_id = %(course)s AND w.status = 'waitlisted' AND me.status = 'waitlisted'
              AND (w.created, w.id) < (me.created, me.id)) END AS ahead,
    (SELECT coalesce(jsonb_agg(jsonb_build_array(o.id, o.task_name, o.args, o.kwargs, o.headers)), '[]'::jsonb)
       FROM out o) AS outbox,
    (SELECT coalesce(array_agg(nextval(pg_get_serial_sequence('{reg}', 'id'))), '{{}}')
       FROM generate_series(1, %(reserve)s)) AS reserved,
    coalesce((SELECT p.calendar_token FROM {profile} p WHERE p.user_id = %(resident)s), '') AS calendar_token,
    -- Last: the class's columns as `seen` read them, for the caller that did not read the class itself.
    {course_columns}
FROM (SELECT 1) AS one LEFT JOIN seen AS s ON true
"""

_compiled: dict[str, str] = {}


def _sql(name: str, template: str) -> str:
    # Table names from the models, formatted once per process; the statement text is then constant.
    text = _compiled.get(name)
    if text is None:
        text = _compiled[name] = template.format(**_tables())
    return text


_REGISTER_TYPES = {
    "id": "bigint",
    "course": "bigint",
    "resident": "bigint",
    "order": "bigint",
    "placed_by": "bigint",
    "history_user": "bigint",
    "now": "timestamptz",
    "today": "date",
    "messages": "jsonb",
    "reserve": "integer",
    "published": "bigint[]",
}


@cache
def _register() -> prepared.Statement:
    # Prepared once per connection: planning the statement cost twice its execution (community_college/prepared.py).
    return prepared.statement("activities_register", _sql("register", _REGISTER), _REGISTER_TYPES)


def reserve_id() -> int:
    """An id for the next registration: from this process's reserve, refilled when empty."""
    pk = ids.take()
    if pk is not None:
        return pk
    with connection.cursor() as cursor:
        cursor.execute(_sql("reserve", _RESERVE), [ID_BATCH])
        ids.add(r[0] for r in cursor.fetchall())
    return ids.take()


def register(
    *,
    registration_id: int,
    course_id: int,
    resident_id: int,
    order_id: int | None,
    placed_by_id: int | None,
    history_user_id: int | None,
    now: datetime,
    today,
    messages: list[tuple[str, MessageData]],
) -> Row:
    """Run the statement (see the module's docstring); `messages` are (registration status, held message)."""
    params = {
        "id": registration_id,
        "course": course_id,
        "resident": resident_id,
        "order": order_id,
        "placed_by": placed_by_id,
        "history_user": history_user_id,
        "now": now,
        "today": today,
        "messages": json.dumps(
            [
                {
                    "kind": kind,
                    "task_name": m.task_name,
                    "args": m.args,
                    "kwargs": m.kwargs,
                    "headers": m.headers,
                }
                for kind, m in messages
            ]
        ),
        "reserve": ids.want(),
        "published": published.take(),
    }
    try:
        with connection.cursor() as cursor:
            prepared.execute(connection, cursor, _register(), params)
            (
                has_existing,
                locked,
                inserted,
                refusal,
                past_why,
                reg_id,
                status,
                created,
                status_changed,
                existing_order_id,
                existing_placed_by_id,
                course_status,
                capacity,
                confirmed_count,
                waiting,
                ahead,
                outbox,
                reserved,
                calendar_token,
                *course_values,
            ) = cursor.fetchone()
    except Exception:
        published.give_back(params["published"])
        raise
    if reserved:
        ids.add(reserved)
    if inserted:
        outcome = "created"
    elif has_existing:
        outcome = "existing"
    elif refusal:
        outcome = "refused"
        refusal = f"{refusal}:{past_why}" if refusal == "course_past" else refusal
    elif locked:
        outcome = "conflict"
    else:
        outcome = "missing"
    if isinstance(outbox, str):  # psycopg2 decodes jsonb; a driver that does not hands back text
        outbox = json.loads(outbox)
    return Row(
        outcome=outcome,
        refusal=refusal if outcome == "refused" else None,
        registration_id=reg_id,
        status=status,
        created=created,
        status_changed=status_changed,
        order_id=order_id if inserted else existing_order_id,
        placed_by_id=placed_by_id if inserted else existing_placed_by_id,
        course_status=course_status,
        capacity=capacity,
        confirmed_count=confirmed_count,
        waiting=waiting,
        ahead=ahead if status == "waitlisted" else None,
        outbox=[MessageData(pk, task, args, kwargs, headers) for pk, task, args, kwargs, headers in outbox],
        calendar_token=calendar_token,
        course_values=tuple(course_values) if outcome != "missing" else None,
    )
