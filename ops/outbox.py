"""The transactional outbox: after-commit work that survives a broker outage.

    from ops import outbox
    outbox.enqueue("notices.tasks.notify_order", order.pk, "accepted")

`enqueue` writes an OutboxMessage in the caller's transaction (a rolled-back change leaves no message)
and registers an on-commit fast path that publishes it at once and deletes it. If the broker is away the
fast path gives up quietly (bounded by the broker's connect timeout, and skipped entirely for
OUTBOX_BROKER_BACKOFF_SECONDS after a failure) and the message waits in the table; `relay()` publishes
whatever is left, from beat (every OUTBOX_RELAY_SECONDS) and when a worker starts. The request that made
the change never sees a broker error.

Delivery is at least once: a crash between publish and delete, or the fast path and the relay meeting
on the same row after OUTBOX_GRACE_SECONDS, publishes twice. The tasks behind it are idempotent (the
notices' exactly-once keys, the order placement's "already dispatched" check).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from .context import current_request_id
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Per process: when the broker last refused a publish. Requests skip the fast path while it is recent,
# so an outage costs each request nothing but the INSERT.
_broker_failed_at: float | None = None


def _broker_resting() -> bool:
    return (
        _broker_failed_at is not None
        and time.monotonic() - _broker_failed_at < settings.OUTBOX_BROKER_BACKOFF_SECONDS
    )


def _note_broker(ok: bool) -> None:
    global _broker_failed_at
    _broker_failed_at = None if ok else time.monotonic()


def _publish(task_name: str, args: list, kwargs: dict, headers: dict) -> None:
    from community_college.celery import app

    # retry=False: one attempt within the transport's connect timeout, never kombu's retry loop, which
    # would hold a web worker for as long as the broker is down. ignore_result as the task declares it:
    # send_task knows only the name, and otherwise first subscribes this process to the task's result in
    # the result backend (Redis too), whose own retry policy held each request ~20 s while Redis was down.
    try:
        producer, first = _thread_producer(app)
        app.send_task(
            task_name,
            args=args,
            kwargs=kwargs,
            headers=headers or None,
            retry=False,
            ignore_result=_ignores_result(app, task_name),
            producer=producer,
            # The queue is declared on the producer's first publish; kombu would only find it in its cache
            # of declared entities after that (the check cost a tenth of a publish).
            **({} if first else {"declare": []}),
            argsrepr=_flat_repr(args),
            kwargsrepr=_flat_repr(kwargs),
        )
    except Exception:
        _drop_thread_producer()
        raise


# One producer per thread, on a broker connection of its own, kept between publishes (issue 20): acquiring
# one from Celery's pool for each publish, and giving it back, was a fifth of a publish's CPU. Not taken from
# the pool, whose limit (broker_pool_limit) a web process's threads could all hold. Keyed by the process (a
# fork gets its own) and by the app's connection pool, which a change of the broker's settings replaces.
_producers = threading.local()


def _thread_producer(app):
    """This thread's producer, and whether it is new (nothing declared on its connection yet)."""
    key = (os.getpid(), app.pool)
    held = getattr(_producers, "held", None)
    if held is not None and held[0] == key:
        return held[1], False
    if held is not None and held[0][0] != key[0]:
        # Inherited through a fork: the parent's connection, not this process's to close.
        _producers.held = None
    _drop_thread_producer()
    connection = app.connection_for_write()
    try:
        producer = app.amqp.Producer(connection)  # connects (kombu's revive), within the connect timeout
    except Exception:
        connection.collect()
        raise
    _producers.held = (key, producer, connection)
    return producer, True


def _drop_thread_producer() -> None:
    """Forget this thread's producer (after a failed publish: the next one connects afresh)."""
    held = getattr(_producers, "held", None)
    _producers.held = None
    if held is not None:
        with suppress(Exception):
            held[2].collect()


def _flat_repr(values) -> str | None:
    """What Celery's saferepr makes of a task's short, flat arguments (ids, words, ISO times), without it
    (saferepr walked each message's arguments: an eighth of a publish); None lets Celery make it."""
    items = values.values() if isinstance(values, dict) else values
    # Where repr and saferepr write a word alike: no quote, backslash or control character in it.
    if not all(type(v) is int or (type(v) is str and _plain(v)) for v in items):
        return None
    if isinstance(values, dict) and not all(type(k) is str and _plain(k) for k in values):
        return None
    text = repr(values)
    return text if len(text) <= 256 else None


def _plain(word: str) -> bool:
    return word.isprintable() and "'" not in word and "\\" not in word


_ignore_result: dict[str, bool | None] = {}


def _ignores_result(app, task_name: str) -> bool | None:
    """The task's own ignore_result (None for a task this process does not know: Celery's default).

    send_task by name does not know it, and with a result backend configured (the matching's chords)
    each publish subscribed to the result's channel and, when its AsyncResult was collected, unsubscribed:
    two Redis commands on the result connection for a message nobody waits for (issue 20: a fifth of a
    registration's Python time was the publish)."""
    known = _ignore_result.get(task_name, ...)
    if known is ...:
        # Once per task and process; a web process imports no task module otherwise (autodiscovery is lazy).
        with suppress(ImportError):
            import_module(task_name.rpartition(".")[0])
        task = app.tasks.get(task_name)
        known = _ignore_result[task_name] = bool(task.ignore_result) if task is not None else None
    return known


def eager() -> bool:
    """Whether tasks run in-process (no broker): the Celery app's own setting, which tests may switch."""
    from community_college.celery import app

    return bool(app.conf.task_always_eager)


def _publish_eager(task_name: str, args: list, kwargs: dict, headers: dict) -> None:
    from community_college.celery import app

    # Without a broker (development, the test suite) tasks run in-process, as `.delay()` would. The
    # task's module may not be imported yet (autodiscovery is lazy): import it by name.
    import_module(task_name.rpartition(".")[0])
    task = app.tasks[task_name]
    task.apply(args=args, kwargs=kwargs, headers=headers or None, throw=bool(app.conf.task_eager_propagates))


def publish(message: OutboxMessage | MessageData, *, in_process: bool | None = None) -> None:
    """Hand one message to the broker (or run it, without one: `in_process`, read from Celery's settings
    unless the caller has just read it). Raises on failure."""
    if eager() if in_process is None else in_process:
        _publish_eager(message.task_name, message.args, message.kwargs, message.headers)
    else:
        _publish(message.task_name, message.args, message.kwargs, message.headers)


@dataclass(frozen=True)
class MessageData:
    pk: int
    task_name: str
    args: list
    kwargs: dict
    headers: dict


# Set while a caller holds messages back to write them in a statement of its own (see `held`).
_held: ContextVar[list[MessageData] | None] = ContextVar("outbox_held", default=None)


@contextmanager
def held():
    """Inside, `enqueue` writes nothing: it collects the messages (pk 0) into the list this yields.

    For a hot path that writes its change and its outbox rows in one statement (the registration's lean
    path): the caller inserts the rows in that statement and then calls `written` with their ids, so the
    outbox's guarantee (a row in the same transaction, published on commit) holds as with `enqueue`.
    """
    messages: list[MessageData] = []
    token = _held.set(messages)
    try:
        yield messages
    finally:
        _held.reset(token)


def written(message: MessageData, *, forget=None) -> None:
    """A held message that the caller's own statement has inserted (as row `message.pk`): publish it on
    commit, as `enqueue` would have. `forget(pk)`, if given, takes over deleting the published row (within
    OUTBOX_GRACE_SECONDS, or the relay publishes it again)."""
    transaction.on_commit(partial(_fast_path, message, forget=forget))


def enqueue(task_name: str, *args, **kwargs) -> None:
    """Send `task_name(*args, **kwargs)` once the surrounding transaction commits; never lost, never
    an error for the caller. Arguments must be JSON (ids, strings, ISO datetimes)."""
    headers = {"request_id": current_request_id()} if current_request_id() else {}
    holding = _held.get()
    if holding is not None:
        holding.append(MessageData(0, task_name, list(args), kwargs, headers))
        return
    # One INSERT in the caller's transaction (no savepoint of its own: it is a single statement). In
    # autocommit it is committed at once, and on_commit runs the fast path straight away.
    row = OutboxMessage.objects.create(task_name=task_name, args=list(args), kwargs=kwargs, headers=headers)
    transaction.on_commit(partial(_fast_path, MessageData(row.pk, task_name, list(args), kwargs, headers)))


def _fast_path(data: MessageData, forget=None) -> None:
    # Read once: each read of Celery's settings goes through Django's (a registration's notice passes here).
    in_process = eager()
    if not in_process and _broker_resting():
        return
    try:
        publish(data, in_process=in_process)
    except Exception as exc:
        if in_process:
            # The task itself failed in-process: the row stays for the relay, as a lost message would.
            logger.exception("outbox: task %s failed in-process; left for the relay", data.task_name)
            return
        _note_broker(False)
        logger.warning(
            "outbox: broker unavailable, %s left for the relay: %s", data.task_name, type(exc).__name__
        )
        _count("deferred")
        return
    _note_broker(True)
    _count("published")
    (forget or _forget)(data.pk)


def _forget(*pks: int) -> None:
    """Delete published rows. On PostgreSQL in autocommit (where on-commit work runs) this is one round
    trip that does not wait for the WAL flush: a delete lost in a crash only means the relay publishes the
    message once more, which delivery already allows (at least once). The request's own change was
    committed durably before this runs."""
    from django.db import connection

    if connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "BEGIN; SET LOCAL synchronous_commit TO OFF;"
                    f" DELETE FROM {OutboxMessage._meta.db_table} WHERE id = ANY(%s); COMMIT",
                    [list(pks)],
                )
        except Exception:
            # The string's own transaction is left aborted: end it, so the connection is usable again.
            # The row stays for the relay.
            logger.warning("outbox: could not delete published %s; the relay will publish again", pks)
            if connection.connection is not None and not connection.connection.closed:
                connection.connection.rollback()
        return
    OutboxMessage.objects.filter(pk__in=pks).delete()


def relay(*, limit: int | None = None, grace: timedelta | None = None) -> int:
    """Publish due messages older than `grace` (the fast path's window), oldest first; return how many.

    Rows are claimed with SKIP LOCKED, so two relays never publish the same row. The first broker
    failure stops the run: the rest would fail the same way. The failed row backs off exponentially.
    """
    limit = limit or settings.OUTBOX_RELAY_BATCH
    grace = timedelta(seconds=settings.OUTBOX_GRACE_SECONDS) if grace is None else grace
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(available_at__lte=now, created__lte=now - grace)
            .order_by("id")[:limit]
        )
        done: list[int] = []
        for row in rows:
            try:
                publish(row)
            except Exception as exc:
                _note_broker(False)
                row.attempts += 1
                row.available_at = now + timedelta(
                    seconds=min(2 ** min(row.attempts, 10), settings.OUTBOX_MAX_BACKOFF_SECONDS)
                )
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                row.save(update_fields=["attempts", "available_at", "last_error"])
                logger.warning("outbox: relay stopped at #%s (%s)", row.pk, type(exc).__name__)
                _count("deferred")
                break
            done.append(row.pk)
            _count("published")
        if done:
            _note_broker(True)
            OutboxMessage.objects.filter(pk__in=done).delete()
            sent = len(done)
    return sent


def lag_seconds() -> float:
    """How long the oldest waiting message has waited (0 when none): the outbox's health figure."""
    oldest = OutboxMessage.objects.aggregate(oldest=Min("created"))["oldest"]
    if oldest is None:
        return 0.0
    return max(0.0, (timezone.now() - oldest).total_seconds())


def _count(outcome: str) -> None:
    from .metrics import OUTBOX_PUBLISHED

    OUTBOX_PUBLISHED.labels(outcome=outcome).inc()
