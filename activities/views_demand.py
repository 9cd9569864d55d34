"""Thin demand on the resident's side: answering a near miss's question, and the share link of an order.

The share link is signed (no row is written for it) and expires after SHARE_LINK_DAYS; it carries the order's
id only. The page it opens says which interest and how many neighbours wait (counts, never names), and one
button sends the neighbour's own order for that interest through the ordinary order form (two taps: open,
send). A neighbour who is not signed in signs in first and comes back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities.models import Order
from interests.enums import OrderStatus

from .dispatch.near_miss import near_miss_answer
from .dispatch.selectors import gathering_for_orders
from .models import NearMissMember

_SHARE_SALT = "activities.share-order"
_SHAREABLE = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED)


def share_token(order_id: int) -> str:
    """The signed, timestamped token of an order's share link."""
    return signing.dumps(order_id, salt=_SHARE_SALT, compress=True)


def share_url(order_id: int) -> str:
    return reverse("activities:share", args=[share_token(order_id)])


def _shared_order_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_SHARE_SALT, max_age=settings.SHARE_LINK_DAYS * 86400)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return value if isinstance(value, int) else None


@login_required
@require_POST
def near_miss_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident agrees or not to the change a near miss asks of them (their own order only)."""
    member = get_object_or_404(
        NearMissMember.objects.select_related("near_miss", "order"), pk=pk, order__resident=request.user
    )
    accept = request.POST.get("accept") == "1"
    try:
        near_miss_answer(member=member, accept=accept, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Thank you: you agreed. We will tell you when the class is arranged.")
            if accept
            else _("Thank you: nothing changes for your order."),
        )
    return redirect(f"{reverse('interests:my_orders')}#order-{member.order_id}")


@require_GET
def share(request: HttpRequest, token: str) -> HttpResponse:
    """A neighbour's share link: the interest, how many wait for it nearby, and one button to order it."""
    order_id = _shared_order_id(token)
    if order_id is None:
        raise Http404(_("This link has expired or is not valid."))
    order = Order.objects.select_related("category", "community").filter(pk=order_id).first()
    if order is None or not order.category.is_active:
        raise Http404(_("This link has expired or is not valid."))
    gathering = gathering_for_orders([order.pk]).get(order.pk) if order.status in _SHAREABLE else None
    already = (
        request.user.is_authenticated
        and Order.objects.filter(
            resident=request.user,
            category=order.category,
            status__in=[OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED],
        ).exists()
    )
    return render(
        request,
        "activities/share.html",
        {
            "category": order.category,
            "community": order.community,
            # The sharer and the neighbours they counted: how many want it, not who.
            "waiting": gathering.neighbours + 1 if gathering else None,
            "missing": gathering.missing if gathering else None,
            "already": already,
            "own": request.user.is_authenticated and order.resident_id == request.user.pk,
        },
    )
