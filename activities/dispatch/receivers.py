"""Dispatch listens to the order loop: an order accepted (接单) is placed into an open class that fits it.

Connected in `ActivitiesConfig.ready()` to `activities.signals.order_accepted`. The placement goes through
the transactional outbox (ops/outbox.py): it is published once the acceptance commits, so a broker that is
away (or, with eager Celery, a failed placement) is logged and retried by the relay rather than turned into
an error for the staff member who accepted. Running it twice is harmless (a dispatched order is left alone).
"""

from __future__ import annotations

from ops import outbox


def connect() -> None:
    from activities import signals

    signals.order_accepted.connect(place_when_accepted, dispatch_uid="activities.dispatch.place_when_accepted")


def place_when_accepted(order_id: int, actor_id: int | None = None, **signal) -> None:
    outbox.enqueue("activities.tasks.place_accepted_order", order_id, actor_id)
