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
