"""Notices listens: the receivers of the domain's signals, connected in `NoticesConfig.ready()`.

The domain announces what happened with a Django signal from its own `signals.py` (activities, consultation,
funds), sent by a service inside its transaction with ids as keyword arguments; it never imports notices.
Each receiver here writes the task into the transactional outbox (ops/outbox.py) in that same transaction
and the outbox publishes it once the transaction commits: a rolled-back change announces nothing, the task
reads the committed rows, and a broker that is away delays the notice instead of failing the request (the
relay publishes it when the broker is back; the notices' exactly-once keys make a second publish harmless).
Outside a transaction the task is published at once.

The receivers are plain functions of ids, so a test or a shell may call one directly:

    hooks.order_changed(order.pk, "accepted")
    hooks.registration_changed(registration.pk, "confirmed")   # confirmed / waitlisted / promoted / cancelled
    hooks.course_changed(course.pk, "changed")                 # changed / cancelled
"""

from __future__ import annotations

from django.utils import timezone

from ops import outbox

from .enums import CourseKind, RegistrationKind

# Order steps that have a notice; other steps enqueue nothing.
_ORDER_STEPS = frozenset({"accepted", "rejected", "dispatched"})


def connect() -> None:
    """Subscribe to every signal notices reacts to (idempotent: each receiver has a dispatch_uid)."""
    from activities import signals as activities
    from consultation import signals as consultation
    from funds import signals as funds

    for signal, receiver in (
        (activities.order_changed, order_changed),
        (activities.registration_changed, registration_changed),
        (activities.course_changed, course_changed),
        (consultation.matter_events, consultation_events),
        (consultation.meeting_invitations, consultation_invitations),
        (funds.pledge_received, pledge_received),
    ):
        signal.connect(receiver, dispatch_uid=f"notices.hooks.{receiver.__name__}")


def order_changed(order_id: int, status: str, **signal) -> None:
    if str(status) not in _ORDER_STEPS:
        return
    outbox.enqueue("notices.tasks.notify_order", order_id, str(status))


def registration_changed(registration_id: int, kind: str, **signal) -> None:
    kind = RegistrationKind(str(kind)).value  # a typo fails loudly in the sender's tests
    outbox.enqueue("notices.tasks.notify_registration", registration_id, kind)


def course_changed(course_id: int, kind: str, **signal) -> None:
    kind = CourseKind(str(kind)).value
    # The moment of the change names it: the same change announced twice is one notice, two changes two.
    changed_at = timezone.now().isoformat()
    outbox.enqueue("notices.tasks.notify_course", course_id, kind, changed_at)


# --- 协商议事 (consultation): a step on a matter's timeline, a meeting's invitations ------------------------


def consultation_events(event_ids: list[int], **signal) -> None:
    """Steps of matters' public timelines (`consultation.MatterEvent`): their followers, or the staff and
    liaisons who must act, hear of them."""
    if not event_ids:
        return
    outbox.enqueue("notices.tasks.notify_consultation_events", list(event_ids))


def consultation_invitations(meeting_id: int, **signal) -> None:
    """Invitations to a deliberation meeting for participants not told yet (idempotent per participant)."""
    outbox.enqueue("notices.tasks.notify_consultation_invitations", meeting_id)


# --- funds: the giver of a received pledge is thanked ------------------------------------------------------


def pledge_received(pledge_id: int, **signal) -> None:
    outbox.enqueue("notices.tasks.thank_donor", pledge_id)
