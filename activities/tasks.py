"""Celery tasks of the activities app: thin wrappers — ids in, one service call, the retry policy."""

from __future__ import annotations

from celery import shared_task

# One retry policy for every task that touches the database (ops/retry.py).
from ops.retry import DB_RETRY


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def place_accepted_order(order_id: int, actor_id: int | None) -> int | None:
    """After 接单: place the order into an open class that fits it; the registration's id, or None.

    Running twice is harmless: a dispatched order is left alone.
    """
    from accounts.models import User
    from activities.dispatch.incremental import order_place_in_open_class
    from activities.models import Order

    order = Order.objects.filter(pk=order_id).first()
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    if order is None:
        return None
    registration = order_place_in_open_class(order=order, actor=actor)
    return registration.pk if registration is not None else None


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def advance_lifecycle() -> dict[str, int]:
    """Beat: meetings that are over become held, terms follow their dates, finished classes close."""
    from activities.services import lifecycle_advance

    return lifecycle_advance()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def issue_term_certificates(term_id: int) -> dict[str, int]:
    """After a term ends: completion certificates for residents, teaching hours for teachers (idempotent)."""
    from activities.completion import term_certificates_issue

    outcome = term_certificates_issue(term_id=term_id)
    return {"course_certificates": outcome.course_certificates, "teacher_certificates": outcome.teacher_certificates}


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def sweep_reconfirmations() -> dict[str, int]:
    """Beat: the no-show rule where due, then one task per session to ask or to release (activities.noshow)."""
    from activities.noshow import reconfirmations_sweep

    return reconfirmations_sweep()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def ask_reconfirmations(session_id: int) -> int:
    from activities.noshow import reconfirmations_ask

    return len(reconfirmations_ask(session_id=session_id))


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def release_unconfirmed_places(session_id: int) -> dict[str, int]:
    from activities.noshow import reconfirmations_release

    return reconfirmations_release(session_id=session_id)
def expire_near_misses() -> int:
    """Beat: near misses whose residents did not answer in time settle (proposed, or lapsed)."""
    from activities.dispatch.near_miss import near_misses_expire

    return near_misses_expire()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notice_waiting_orders() -> list[int]:
    """Beat: accepted orders waiting longer than WAIT_NOTICE_DAYS get one notice with their options (ids)."""
    from activities.dispatch.near_miss import waiting_orders_notice

    return waiting_orders_notice()


# --- the matching fan-out (activities.dispatch.fanout) ---------------------------------------------------------


# Pure (no database): a batch of independent parts solved with the solver. Its result feeds the chord, so it is
# kept (the only results this project stores). Acknowledged late: a worker lost mid-solve puts the batch back on
# the queue and another worker solves it again, the same way; the other batches are not touched.
@shared_task(acks_late=True, ignore_result=False, reject_on_worker_lost=True)
def match_parts(parts: list[dict], seed: int, time_limit: float) -> list[dict]:
    """Solve each part alone; their solutions (the chord's header)."""
    from activities.dispatch.fanout import solve_parts

    return solve_parts(parts, seed=seed, time_limit=time_limit)


@shared_task(acks_late=True, ignore_result=False, **DB_RETRY)
def match_gather(results: list[list[dict]], plan: dict) -> int | None:
    """The chord's body: the parts' solutions joined, checked and stored as one proposal; the run's id."""
    from activities.dispatch.fanout import fanout_gather

    run = fanout_gather(results=results, plan=plan).run
    return run.pk if run is not None else None
