"""Thin Celery wrappers: ids in, one service call."""

import logging

from celery import shared_task

from ops.retry import DB_RETRY

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def expire_pledges() -> int:
    return services.pledges_expire()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def check_ledger() -> int:
    from . import selectors

    problems = selectors.ledger_problems()
    for problem in problems:
        logger.error("funds ledger check: %s", problem)
    return len(problems)
