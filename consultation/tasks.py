"""Thin Celery wrappers around the consultation sweeps (idempotent: each claims its rows)."""

from __future__ import annotations

from celery import shared_task

# One retry policy for every task that touches the database (ops/retry.py).
from ops.retry import DB_RETRY

from . import services


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def sweep() -> dict:
    return {
        "escalated": services.matters_escalate_due(),
        "overdue": services.decisions_flag_overdue(),
        "closed": services.matters_close_unconfirmed(),
    }
