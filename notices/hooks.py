"""The hooks other apps call when something a resident should hear about has happened.

Each hook only schedules a task for after the surrounding transaction commits (`transaction.on_commit`):
a rolled-back change announces nothing, and the task reads the committed rows. Outside a transaction the
task is enqueued at once. Arguments are ids, never model instances.

    from notices import hooks
    hooks.order_changed(order.pk, OrderStatus.ACCEPTED)
    hooks.registration_changed(registration.pk, "confirmed")   # confirmed / waitlisted / promoted / cancelled
    hooks.course_changed(course.pk, "changed")                 # changed / cancelled
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .enums import CourseKind, RegistrationKind

# Order steps that have a notice; other steps enqueue nothing.
_ORDER_STEPS = frozenset({"accepted", "rejected", "dispatched"})


def order_changed(order_id: int, to_status: str) -> None:
    if str(to_status) not in _ORDER_STEPS:
        return
    from .tasks import notify_order

    transaction.on_commit(lambda: notify_order.delay(order_id, str(to_status)))


def registration_changed(registration_id: int, kind: str) -> None:
    kind = RegistrationKind(str(kind)).value  # a typo fails loudly in the caller's tests
    from .tasks import notify_registration

    transaction.on_commit(lambda: notify_registration.delay(registration_id, kind))


def course_changed(course_id: int, kind: str) -> None:
    kind = CourseKind(str(kind)).value
    # The moment of the change names it: the same change announced twice is one notice, two changes two.
    changed_at = timezone.now().isoformat()
    from .tasks import notify_course

    transaction.on_commit(lambda: notify_course.delay(course_id, kind, changed_at))


# --- 协商议事 (consultation): a step on a matter's timeline, a meeting's invitations ------------------------


def consultation_event(event_id: int) -> None:
    """A step of a matter's public timeline (`consultation.MatterEvent`): its followers, or the staff and
    liaisons who must act, hear of it."""
    consultation_events([event_id])


def consultation_events(event_ids: list[int]) -> None:
    if not event_ids:
        return
    from .tasks import notify_consultation_events

    ids = list(event_ids)
    transaction.on_commit(lambda: notify_consultation_events.delay(ids))


def consultation_invitations(meeting_id: int) -> None:
    """Invitations to a deliberation meeting for participants not told yet (idempotent per participant)."""
    from .tasks import notify_consultation_invitations

    transaction.on_commit(lambda: notify_consultation_invitations.delay(meeting_id))
