"""Thin Celery wrappers around the consultation sweeps (idempotent: each claims its rows)."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import services

DB_RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": 5, "max_retries": 5, "retry_jitter": True}


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def sweep() -> dict:
    return {
        "escalated": services.matters_escalate_due(),
        "overdue": services.decisions_flag_overdue(),
        "closed": services.matters_close_unconfirmed(),
    }
