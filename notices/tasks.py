"""Celery tasks: thin wrappers — ids in, one service call, the retry policy.

Arguments are primary keys, strings and ISO datetimes (JSON). Every task can run twice without effect: the
services are idempotent and deliveries are claimed in the database. No countdown exceeds 3600 s, the Redis
visibility timeout; longer waits (quiet hours) live in `Delivery.not_before` and the beat schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task

# One retry policy for every task that touches the database (ops/retry.py).
from ops.retry import DB_RETRY

from . import services


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_order(order_id: int, to_status: str) -> int:
    return services.notify_order(order_id=order_id, status=to_status)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_registration(registration_id: int, kind: str) -> int:
    return services.notify_registration(registration_id=registration_id, kind=kind)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_course(course_id: int, kind: str, changed_at: str) -> int:
    return services.notify_course(
        course_id=course_id, kind=kind, changed_at=datetime.fromisoformat(changed_at)
    )


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver(self, delivery_ids: list[int]) -> dict:
    """Send a chunk of deliveries. Failures come back after an exponential backoff; the database counts
    the attempts and marks a delivery FAILED after the last one, so Celery's own limit is off."""
    outcome = services.deliveries_send(delivery_ids=delivery_ids)
    if outcome.given_back:
        deliver.delay(outcome.given_back)
    # In eager mode (no broker) a retry would run at once and find nothing due: the sweeper takes it.
    if outcome.retry_ids and not self.request.is_eager:
        raise self.retry(args=[outcome.retry_ids], countdown=outcome.retry_in)
    return {"sent": outcome.sent, "failed": outcome.failed, "deferred": outcome.deferred}


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def scan_reminders() -> int:
    return services.reminders_scan()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def scan_feedback_requests() -> int:
    return services.feedback_scan()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def digest_fanout() -> int:
    return services.digest_fanout()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def digest_batch(object_key: str, since: str, first_id: int, last_id: int) -> int:
    return services.digest_batch(
        object_key=object_key, since=datetime.fromisoformat(since), first_id=first_id, last_id=last_id
    )


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def release_deferred() -> int:
    """07:00: everything quiet hours held back is due now."""
    return services.deliveries_enqueue_due(grace=timedelta(0))


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def sweep() -> int:
    """Every few minutes: retries whose message was lost, and deliveries stuck in a dead worker."""
    return services.deliveries_enqueue_due()


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_consultation_events(event_ids: list[int]) -> int:
    from . import consultation

    return consultation.notify_events(event_ids=event_ids)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_consultation_invitations(meeting_id: int) -> int:
    from . import consultation

    return consultation.notify_invitations(meeting_id=meeting_id)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_recognition_round(round_id: int) -> int:
    from . import recognition

    return recognition.notify_round(round_id=round_id)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_recognition_story(candidate_id: int) -> int:
    from . import recognition

    return recognition.notify_story(candidate_id=candidate_id)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_showcase(showcase_id: int, kind: str, changed_at: str) -> int:
    from . import showcases

    return showcases.notify_showcase(
        showcase_id=showcase_id, kind=kind, changed_at=datetime.fromisoformat(changed_at)
    )


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def thank_donor(pledge_id: int) -> int:
    from . import funds

    return funds.pledge_thank(pledge_id=pledge_id)


# --- Certificates and the reconfirmation of places (activities.signals → notices.noshow) ----------------------


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_certificate(certificate_id: int) -> int:
    from . import noshow

    return noshow.notify_certificate(certificate_id=certificate_id)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_reconfirmation(reconfirmation_id: int, kind: str) -> int:
    from . import noshow

    return noshow.notify_reconfirmation(reconfirmation_id=reconfirmation_id, kind=kind)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_noshow_rule(rule_id: int, kind: str) -> int:
    from . import noshow

    return noshow.notify_noshow_rule(rule_id=rule_id, kind=kind)
@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_near_miss_ask(near_miss_id: int, order_ids: list[int]) -> int:
    from .demand import notify_near_miss_ask as ask

    return ask(near_miss_id=near_miss_id, order_ids=order_ids)


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def notify_waiting_options(order_ids: list[int]) -> int:
    from .demand import notify_waiting_options as waiting

    return waiting(order_ids=order_ids)
