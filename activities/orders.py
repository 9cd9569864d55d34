"""Writes about orders (点单 → 接单 → 派单 → 返单).

Every status change of an order goes through `order_transition`: the admin, the portal, the API and the
matching service all call it, so the rules and the timeline live in one place. Each step is announced with
`activities.signals.order_changed` inside the transaction; notices and the incremental placement listen.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import require_change, scope_for
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests.enums import ORDER_TRANSITIONS, OrderChannel, OrderStatus
from interests.models import Category
from interests.selectors import offered_category, resident_district

from . import signals
from .models import Order, OrderEvent

# Which stamp each state sets when the order enters it.
_STAMPS = {
    OrderStatus.ACCEPTED: "accepted_at",
    OrderStatus.DISPATCHED: "dispatched_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.REJECTED: "closed_at",
    OrderStatus.CANCELLED: "closed_at",
}
# Transitions that staff make on the community's behalf; the resident makes the others.
_STAFF_TRANSITIONS = {OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.DISPATCHED}


def order_place(
    *,
    resident: User,
    category: Category,
    note: str = "",
    placed_by: User | None = None,
    channel: str = OrderChannel.WEB,
    preferred_slots=(),
) -> Order:
    """A resident's order for an interest, in their home community. Staff may place it for them."""
    profile = getattr(resident, "profile", None)
    if profile is None:
        raise ConflictError(_("Choose your home community in your profile before ordering."), code="no_profile")
    if placed_by is not None and placed_by != resident and not scope_for(placed_by).can_change_community(profile.community_id):
        raise ScopeError(_("You can only place orders for residents of your own community."), code="scope")
    if category.children.exists():
        raise ConflictError(_("Choose a concrete interest, not a whole field."), code="not_leaf")
    # Whichever way the order comes (portal, API, the staff desk): an interest the resident's district hides,
    # or has retired, is not on offer there.
    if offered_category(pk=category.pk, district=resident_district(resident)) is None:
        raise ConflictError(_("This interest is not offered in your district."), code="not_offered")
    order = Order(
        resident=resident,
        community_id=profile.community_id,
        category=category,
        note=note.strip(),
        placed_by=placed_by or resident,
        channel=channel,
    )
    order.full_clean(exclude=["preferred_slots"], validate_constraints=False)
    try:
        with transaction.atomic():
            order.save()
            if preferred_slots:
                order.preferred_slots.set(preferred_slots)
            OrderEvent.objects.create(order=order, to_status=OrderStatus.SUBMITTED, actor=placed_by or resident, at=order.submitted_at)
    except IntegrityError as exc:
        # The partial unique index: this resident already has an open order for this interest.
        raise ConflictError(
            _("You already have an open order for %(interest)s.") % {"interest": category.name}, code="duplicate_order"
        ) from exc
    return order


@transaction.atomic
def order_transition(*, order: Order, to: str, actor: User | None, note: str = "", **changes) -> Order:
    """Move an order to `to`, stamping who and when; refuse anything the loop does not allow.

    The row is locked first so that two staff members clicking at once cannot both accept it.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if to not in ORDER_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            _("An order that is “%(current)s” cannot become “%(target)s”.")
            % {"current": OrderStatus(locked.status).label, "target": OrderStatus(to).label},
            code="invalid_transition",
        )
    if actor is not None and to in _STAFF_TRANSITIONS:
        require_change(actor, locked.community_id, elsewhere=_("This order belongs to another community."))
    if (
        to == OrderStatus.CANCELLED
        and actor is not None
        and actor.pk != locked.resident_id
        and not scope_for(actor).can_change_community(locked.community_id)
    ):
        raise ScopeError(_("Only the resident or their community can cancel this order."), code="scope")
    now = timezone.now()
    from_status = locked.status
    locked.status = to
    fields = {"status"}
    setattr(locked, _STAMPS[to], now)
    fields.add(_STAMPS[to])
    for name, value in changes.items():
        setattr(locked, name, value)
        fields.add(name)
    locked.save(update_fields=sorted(fields))
    OrderEvent.objects.create(order=locked, from_status=from_status, to_status=to, actor=actor, at=now, note=note[:300])
    # Listeners (notices, the incremental placement) write their after-commit work in this transaction.
    signals.order_changed.send(sender=Order, order_id=locked.pk, status=str(to), actor_id=actor.pk if actor else None)
    order.refresh_from_db()
    return order


def order_accept(*, order: Order, actor: User) -> Order:
    """接单: the community takes the order; once committed, it is placed at once if an open class fits it."""
    order = order_transition(order=order, to=OrderStatus.ACCEPTED, actor=actor)
    # Sent after order_changed, so the resident's "accepted" notice is enqueued before the placement.
    signals.order_accepted.send(sender=Order, order_id=order.pk, actor_id=actor.pk if actor is not None else None)
    return order


def order_reject(*, order: Order, actor: User, reason: str) -> Order:
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Give the resident a reason for the rejection."), code="reason_required")
    return order_transition(order=order, to=OrderStatus.REJECTED, actor=actor, note=reason, reject_reason=reason[:300])


def order_dispatch(*, order: Order, actor: User | None, course) -> Order:
    """派单: the order has become a place in a real class."""
    return order_transition(order=order, to=OrderStatus.DISPATCHED, actor=actor, course=course)


def order_complete(*, order: Order, actor: User | None) -> Order:
    """返单: the resident came back with feedback."""
    return order_transition(order=order, to=OrderStatus.COMPLETED, actor=actor)


def order_cancel(*, order: Order, actor: User, reason: str = "") -> Order:
    return order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, note=reason)


