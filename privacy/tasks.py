"""Nightly retention purge (thin: one service call)."""

from celery import shared_task

from ops.retry import DB_RETRY


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def purge_old_records() -> dict:
    from .services import records_purge

    purged = records_purge()
    return {"deliveries": purged.deliveries, "notices": purged.notices}
