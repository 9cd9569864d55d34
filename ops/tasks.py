"""Periodic operations tasks: the outbox relay, beat's heartbeat. Thin: one call each."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .retry import DB_RETRY

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def relay_outbox() -> int:
    from . import outbox

    return outbox.relay()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def heartbeat() -> None:
    """Scheduled by beat; readiness reads its time (beat, broker and a worker all had to work)."""
    from .health import BEAT
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=BEAT, defaults={"beat_at": timezone.now()})
    logger.debug("heartbeat recorded")
