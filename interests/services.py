"""Writes about orders (点单 → 接单 → 派单 → 返单) and interest groups.

Every status change of an order goes through `order_transition`: the admin, the portal, the API and the
matching service all call it, so the rules and the timeline live in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import Community, RoleAssignment, User
from accounts.selectors import require_change, scope_for
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from notices import hooks as notice_hooks

from .enums import ORDER_TRANSITIONS, OrderChannel, OrderStatus
from .models import (
    Category,
    GroupMembership,
    InterestGroup,
    Order,
    OrderEvent,
    ResidentAvailability,
    ResidentProfile,
)

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
    # The resident hears of it once the step is committed (accepted, rejected, dispatched have notices).
    notice_hooks.order_changed(locked.pk, to)
    order.refresh_from_db()
    return order


def order_accept(*, order: Order, actor: User) -> Order:
    """接单: the community takes the order; once committed, it is placed at once if an open class fits it."""
    order = order_transition(order=order, to=OrderStatus.ACCEPTED, actor=actor)
    from activities.tasks import place_accepted_order_on_commit  # activities imports this module

    place_accepted_order_on_commit(order.pk, actor.pk if actor is not None else None)
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


@transaction.atomic
def group_join(*, group: InterestGroup, user: User, actor: User | None = None) -> GroupMembership:
    """`user` joins `group` (idempotent); staff in the group's scope may add a resident (`actor`).

    Refused when the group is inactive or full, or when the resident's home community is not on the
    group's street: groups are for neighbours, whoever adds them (the portal, the admin).
    """
    locked = InterestGroup.objects.select_for_update(of=("self",)).select_related("community").get(pk=group.pk)
    if actor is not None and actor.pk != user.pk and not scope_for(actor).can_change_community(locked.community_id):
        raise ScopeError(_("This group belongs to another community."), code="scope")
    if not locked.is_active:
        raise ConflictError(_("This group is no longer active."), code="inactive")
    existing = GroupMembership.objects.filter(group=locked, user=user).first()
    if existing:
        return existing
    profile = ResidentProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        raise ConflictError(_("Choose your home community in your profile before joining a group."), code="no_profile")
    if profile.community.street_id != locked.community.street_id:
        raise ConflictError(
            _("%(group)s is for residents of its own street.") % {"group": locked.name}, code="other_street"
        )
    if locked.max_members is not None and locked.memberships.count() >= locked.max_members:
        raise ConflictError(_("This group is full."), code="full")
    return GroupMembership.objects.create(group=locked, user=user)


def group_leave(*, group: InterestGroup, user: User) -> None:
    GroupMembership.objects.filter(group=group, user=user).delete()


# --- The resident's profile (画像) ------------------------------------------------------------------------


def _merge_windows(windows: Iterable[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    """Sort weekly windows and join those that touch or overlap: afternoon and evening become one."""
    merged: list[tuple[int, time, time]] = []
    for weekday, start, end in sorted(set(windows)):
        if merged and merged[-1][0] == weekday and start <= merged[-1][2]:
            merged[-1] = (weekday, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((weekday, start, end))
    return merged


@transaction.atomic
def profile_update(
    *,
    user: User,
    community: Community,
    latitude: float | None = None,
    longitude: float | None = None,
    interests: Iterable[Category] = (),
    availability: Iterable[tuple[int, time, time]] = (),
    consent_sms: bool = True,
    consent_email: bool = False,
    consent_recommendations: bool = True,
) -> ResidentProfile:
    """Save a resident's profile in one transaction, creating it (and the resident role) on first save.

    Home is the community's centre unless a location is given. Interests and weekly free times replace
    the old ones. Any refusal raises ValidationError keyed by field, and nothing is saved.
    """
    errors: dict[str, list[str]] = {}
    if (latitude is None) != (longitude is None):
        errors.setdefault("latitude", []).append(_("Give both latitude and longitude, or neither."))
    interests = list(interests)
    if any(not category.is_active for category in interests):
        errors.setdefault("interests", []).append(_("One of the chosen interests is no longer offered."))
    if consent_email and not user.email:
        errors.setdefault("consent_email", []).append(
            _("Add an e-mail address to your account before choosing notices by e-mail.")
        )
    windows = _merge_windows(availability)
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6 or start >= end:
            errors.setdefault("availability", []).append(_("A free time must end after it starts."))
            break
    if errors:
        raise ValidationError(errors)

    # Lock the resident's row: a double-tapped first save must make one profile, not an IntegrityError.
    User.objects.select_for_update().filter(pk=user.pk).exists()
    profile = ResidentProfile.objects.filter(user=user).first() or ResidentProfile(user=user)
    profile.community = community
    if latitude is None:
        latitude, longitude = community.latitude, community.longitude
    profile.latitude, profile.longitude = latitude, longitude
    profile.consent_sms = bool(consent_sms)
    profile.consent_email = bool(consent_email)
    profile.consent_recommendations = bool(consent_recommendations)
    profile.full_clean()
    profile.save()
    profile.interests.set(interests)
    profile.availability.all().delete()
    rows = [ResidentAvailability(profile=profile, weekday=d, start=s, end=e) for d, s, e in windows]
    for row in rows:
        row.full_clean(validate_constraints=False)
    ResidentAvailability.objects.bulk_create(rows)
    RoleAssignment.objects.get_or_create(user=user, role=Role.RESIDENT)
    return profile
