"""Venue owners' pages (phone first): the booking requests waiting for them, their answer, a venue's week.

The venue-owner role is bound to venues by `VenueManager`; someone who manages no venue gets 403, a venue
or booking of another owner does not exist for them (404). Staff keep their admin path (Bookings, actions).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .forms import BookingDeclineForm
from .selectors import owner_bookings, owner_pending_bookings, owner_venues, venue_week
from .services import booking_decline, booking_owner_confirm


def _venues(request: HttpRequest) -> list:
    venues = list(owner_venues(user=request.user))
    if not venues:
        raise PermissionDenied(_("These pages are for the owners of the portal's venues."))
    return venues


@login_required
@require_GET
def owner_home(request: HttpRequest) -> HttpResponse:
    venues = _venues(request)
    return render(
        request,
        "venues/owner/home.html",
        {
            "venues": venues,
            "pending": list(owner_pending_bookings(user=request.user)[:100]),
            "form": BookingDeclineForm(),
        },
    )


@login_required
@require_POST
def owner_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, or decline with a reason, one booking request of a venue the user manages."""
    _venues(request)
    booking = owner_bookings(user=request.user).filter(pk=pk).first()
    if booking is None:
        raise Http404
    accept = request.POST.get("answer") == "confirm"
    form = BookingDeclineForm(request.POST)
    if not accept and not form.is_valid():
        return render(
            request,
            "venues/owner/home.html",
            {
                "venues": _venues(request),
                "pending": list(owner_pending_bookings(user=request.user)[:100]),
                "form": form,
                "failed": booking.pk,
            },
            status=400,
        )
    try:
        if accept:
            booking_owner_confirm(booking=booking, actor=request.user)
        else:
            booking_decline(booking=booking, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Booking confirmed.") if accept else _("Booking declined; the community has your reason."),
        )
    return redirect("venues:owner_home")


@login_required
@require_GET
def owner_week(request: HttpRequest, pk: int) -> HttpResponse:
    """One venue's week on one screen: every booking by day, with its class, teacher and status."""
    venues = _venues(request)
    venue = next((v for v in venues if v.pk == pk), None)
    if venue is None:
        raise Http404
    try:
        day = date.fromisoformat(request.GET.get("week") or "")
    except ValueError:
        day = timezone.localdate()
    monday = day - timedelta(days=day.weekday())
    bookings = list(venue_week(venue=venue, day=monday))
    days = [
        {
            "day": monday + timedelta(days=i),
            "bookings": [
                b for b in bookings if timezone.localdate(b.starts_at) == monday + timedelta(days=i)
            ],
        }
        for i in range(7)
    ]
    return render(
        request,
        "venues/owner/week.html",
        {
            "venue": venue,
            "venues": venues,
            "days": days,
            "previous_week": (monday - timedelta(days=7)).isoformat(),
            "next_week": (monday + timedelta(days=7)).isoformat(),
        },
    )
