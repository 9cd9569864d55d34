"""The hooks other apps call when something a resident should hear about has happened.

Each hook writes the task into the transactional outbox (ops/outbox.py) in the caller's transaction and
publishes it once that transaction commits: a rolled-back change announces nothing, the task reads the
committed rows, and a broker that is away delays the notice instead of failing the request (the relay
publishes it when the broker is back; the notices' exactly-once keys make a second publish harmless).
Outside a transaction the task is published at once. Arguments are ids, never model instances.

    from notices import hooks
    hooks.order_changed(order.pk, OrderStatus.ACCEPTED)
    hooks.registration_changed(registration.pk, "confirmed")   # confirmed / waitlisted / promoted / cancelled
    hooks.course_changed(course.pk, "changed")                 # changed / cancelled
"""

from __future__ import annotations

from django.utils import timezone

from ops import outbox

from .enums import CourseKind, RegistrationKind

# Order steps that have a notice; other steps enqueue nothing.
_ORDER_STEPS = frozenset({"accepted", "rejected", "dispatched"})


def order_changed(order_id: int, to_status: str) -> None:
    if str(to_status) not in _ORDER_STEPS:
        return
    outbox.enqueue("notices.tasks.notify_order", order_id, str(to_status))


def registration_changed(registration_id: int, kind: str) -> None:
    kind = RegistrationKind(str(kind)).value  # a typo fails loudly in the caller's tests
    outbox.enqueue("notices.tasks.notify_registration", registration_id, kind)


def course_changed(course_id: int, kind: str) -> None:
    kind = CourseKind(str(kind)).value
    # The moment of the change names it: the same change announced twice is one notice, two changes two.
    changed_at = timezone.now().isoformat()
    outbox.enqueue("notices.tasks.notify_course", course_id, kind, changed_at)


# --- 协商议事 (consultation): a step on a matter's timeline, a meeting's invitations ------------------------


def consultation_event(event_id: int) -> None:
    """A step of a matter's public timeline (`consultation.MatterEvent`): its followers, or the staff and
    liaisons who must act, hear of it."""
    consultation_events([event_id])


def consultation_events(event_ids: list[int]) -> None:
    if not event_ids:
        return
    outbox.enqueue("notices.tasks.notify_consultation_events", list(event_ids))


def consultation_invitations(meeting_id: int) -> None:
    """Invitations to a deliberation meeting for participants not told yet (idempotent per participant)."""
    outbox.enqueue("notices.tasks.notify_consultation_invitations", meeting_id)
