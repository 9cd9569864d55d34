"""Reconfirming a place: the one-tap link of the notice (no sign-in: the signed token names one request)
and the buttons on the resident's own page. Both call `activities.noshow.reconfirmation_answer`.

The link's GET only shows the question; the answer is a POST (link previews and mail scanners open links).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .models import Reconfirmation
from .noshow import reconfirmation_answer, reconfirmation_from_token


def _answer(request: HttpRequest, reconfirmation: Reconfirmation, keep: bool) -> bool:
    try:
        reconfirmation_answer(reconfirmation=reconfirmation, resident=reconfirmation.resident, keep=keep)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    if keep:
        messages.success(request, _("Thank you: your place is kept for this session."))
    else:
        messages.success(request, _("Your place is given up; the next person on the waiting list gets it."))
    return True


@require_http_methods(["GET", "POST"])
def reconfirm_link(request: HttpRequest, token: str) -> HttpResponse:
    reconfirmation = reconfirmation_from_token(token)
    if reconfirmation is None:
        return render(request, "activities/reconfirm.html", {"reconfirmation": None}, status=404)
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("keep", "give_up"):
            messages.error(request, _("Choose to keep or to give up the place."))
        else:
            _answer(request, reconfirmation, keep=action == "keep")
        return redirect(reverse("activities:reconfirm_link", args=[token]))
    return render(
        request,
        "activities/reconfirm.html",
        {
            "reconfirmation": reconfirmation,
            "open": reconfirmation.status in ("asked", "confirmed"),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def reconfirmation_keep(request: HttpRequest, pk: int) -> HttpResponse:
    reconfirmation = get_object_or_404(
        Reconfirmation.objects.select_related("resident"), pk=pk, resident=request.user
    )
    _answer(request, reconfirmation, keep=True)
    return redirect(f"{reverse('interests:my_orders')}#reconfirmations-heading")


@login_required
@require_POST
def reconfirmation_give_up(request: HttpRequest, pk: int) -> HttpResponse:
    reconfirmation = get_object_or_404(
        Reconfirmation.objects.select_related("resident"), pk=pk, resident=request.user
    )
    _answer(request, reconfirmation, keep=False)
    return redirect(f"{reverse('interests:my_orders')}#reconfirmations-heading")
