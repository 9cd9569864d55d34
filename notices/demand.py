"""Notices of thin demand (issue 22): the question a near miss asks a resident, and the options of an order
that has waited longer than WAIT_NOTICE_DAYS. Connected to `activities.signals` in `NoticesConfig.ready()`;
the listeners only enqueue (ids, after commit, through the outbox); the tasks render and store the notices.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activities.dispatch.enums import MemberConsent, NearMissRelaxation, NearMissStatus
from activities.models import NearMiss, NearMissMember, Order, UnassignedOrder
from ops import outbox

from .enums import Purpose
from .selectors import url_or_empty
from .services import Draft, _render, notices_create, recipient_of
from .texts import Texts, _sms

# --- listeners -----------------------------------------------------------------------------------------------


def on_near_miss_asked(sender, near_miss_id: int, order_ids, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_near_miss_ask", near_miss_id, sorted(order_ids))


def on_order_waiting_long(sender, order_ids, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_waiting_options", sorted(order_ids))


# --- texts -----------------------------------------------------------------------------------------------------


def _change(nm: NearMiss) -> str:
    """What the relaxation changes for the resident, in one sentence."""
    if nm.relaxation == NearMissRelaxation.RADIUS:
        return _("The class meets at %(venue)s, up to %(km).1f km from your home.") % {
            "venue": nm.venue.name,
            "km": nm.radius_km or 0,
        }
    if nm.relaxation == NearMissRelaxation.SLOT:
        return _("The class meets %(slot)s, a time you said you are free.") % {"slot": nm.slot}
    if nm.relaxation == NearMissRelaxation.PARENT:
        return _("It is a %(interest)s class, the broader interest yours belongs to.") % {
            "interest": nm.category.name
        }
    if nm.relaxation == NearMissRelaxation.GROUP:
        return _("The interest group %(group)s near you has room.") % {"group": nm.group.name}
    return _("The teacher agrees to start with fewer residents.")


def near_miss_ask_texts(*, nm: NearMiss, interest: str, deadline: datetime) -> Texts:
    names = {
        "interest": interest,
        "change": _change(nm),
        "deadline": date_format(timezone.localtime(deadline), "DATETIME_FORMAT"),
    }
    if nm.relaxation == NearMissRelaxation.GROUP:
        title = _("Join a %(interest)s group near you?") % names
    else:
        title = _("A %(interest)s class could open with you") % names
    body = (
        _(
            "Neighbours want %(interest)s too. %(change)s Do you agree? Answer on your orders page by %(deadline)s; "
            "without an answer nothing changes for you."
        )
        % names
    )
    sms = _sms(_("%(interest)s: a class could open with you. %(change)s Answer on your orders page.") % names)
    return Texts(title=title, body=body, sms=sms)


def waiting_texts(
    *, interest: str, days: int, neighbours: int | None, missing: int | None, options: list[str]
) -> Texts:
    names = {"interest": interest, "days": days, "n": neighbours or 0, "missing": missing or 0}
    lines = [
        ngettext(
            "Your order for %(interest)s has waited %(days)d day for a class.",
            "Your order for %(interest)s has waited %(days)d days for a class.",
            days,
        )
        % names
    ]
    if neighbours is not None and missing:
        lines.append(
            ngettext(
                "%(n)d neighbour within a 15-minute walk wants it too; %(missing)d more would open a class.",
                "%(n)d neighbours within a 15-minute walk want it too; %(missing)d more would open a class.",
                neighbours,
            )
            % names
        )
    if options:
        lines.append(_("What could help:"))
        lines.extend(f"- {option}" for option in options)
    lines.append(
        _("Share your order's link with neighbours who might like it too: it is on your orders page.")
    )
    return Texts(
        title=_("Still waiting for %(interest)s: your options") % names,
        body="\n".join(lines),
        sms=_sms(_("Still waiting for %(interest)s? See your options on your orders page.") % names),
    )


def _waiting_texts_of(*, order_id: int, **facts) -> Texts:
    # The options are worded inside the recipient's language, like the rest of the notice.
    return waiting_texts(**facts, options=options_for(order_id))


# --- tasks' services --------------------------------------------------------------------------------------------


def notify_near_miss_ask(*, near_miss_id: int, order_ids, now: datetime | None = None) -> int:
    """Ask the residents of `order_ids` (still pending in an asking near miss) whether they agree."""
    nm = (
        NearMiss.objects.select_related("category", "venue", "slot", "group")
        .filter(pk=near_miss_id, status=NearMissStatus.ASKING)
        .first()
    )
    if nm is None:
        return 0
    members = NearMissMember.objects.filter(
        near_miss=nm, order_id__in=list(order_ids), consent=MemberConsent.PENDING
    ).select_related("order__resident__profile", "order__category")
    url = url_or_empty("interests:my_orders")
    drafts = []
    for m in members.order_by("order_id"):
        recipient = recipient_of(m.order.resident)
        rendered = _render(
            recipient.language,
            near_miss_ask_texts,
            nm=nm,
            interest=m.order.category.name,
            deadline=nm.deadline,
        )
        drafts.append(Draft(recipient, f"near_miss:{nm.pk}:{m.order_id}", rendered, url))
    return notices_create(purpose=Purpose.NEAR_MISS_ASK, drafts=drafts, now=now)


def options_for(order_id: int) -> list[str]:
    """The near-miss options that apply to an order: the open or asking near misses it belongs to."""
    rows = (
        NearMissMember.objects.filter(
            order_id=order_id, near_miss__status__in=[NearMissStatus.OPEN, NearMissStatus.ASKING]
        )
        .filter(Q(extra=True) | Q(near_miss__relaxation=NearMissRelaxation.SMALLER))
        .select_related("near_miss__category", "near_miss__venue", "near_miss__slot", "near_miss__group")
        .order_by("near_miss_id")[:5]
    )
    return [_change(m.near_miss) for m in rows]


def notify_waiting_options(*, order_ids, now: datetime | None = None) -> int:
    """One notice per long-waiting order, with its gathering count and its near-miss options."""
    now = now or timezone.now()
    orders = Order.objects.filter(pk__in=list(order_ids)).select_related("resident__profile", "category")
    latest = {
        u.order_id: u for u in UnassignedOrder.objects.filter(order_id__in=list(order_ids), latest=True)
    }
    url = url_or_empty("interests:my_orders")
    drafts = []
    for order in orders.order_by("pk"):
        recipient = recipient_of(order.resident)
        row = latest.get(order.pk)
        neighbours = row.neighbours if row else None
        missing = (
            max(0, row.min_size - neighbours - 1) if row and row.min_size and neighbours is not None else None
        )
        days = (now - (order.accepted_at or now)).days
        rendered = _render(
            recipient.language,
            _waiting_texts_of,
            order_id=order.pk,
            interest=order.category.name,
            days=days,
            neighbours=neighbours,
            missing=missing,
        )
        drafts.append(Draft(recipient, f"waiting:{order.pk}", rendered, url))
    return notices_create(purpose=Purpose.WAITING_OPTIONS, drafts=drafts, now=now)
