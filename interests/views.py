"""The resident portal's pages about interests: profile, search, orders (点单), my orders, groups.

Views are thin: they read through `interests.selectors`, write through `interests.services`, and turn
the services' ValidationErrors into messages or form errors. A resident only ever reaches their own
orders; anything else is a 404, as if it did not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities import orders, resident_selectors
from activities.dispatch import selectors as dispatch_selectors
from activities.models import Order
from activities.noshow import resident_active_rules, resident_reconfirmations
from activities.views_demand import share_url
from community_college.errors import ConflictError

from . import selectors, services
from .enums import OrderStatus
from .forms import CancelForm, OrderForm, ProfileForm, SearchForm
from .models import Category, InterestGroup, ResidentProfile
from .search import MAX_QUERY, clean_query

GROUPS_PAGE_SIZE = 15


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _first_message(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("That could not be done.")


def _add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal next to the field it concerns, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _profile_required(request: HttpRequest) -> ResidentProfile | HttpResponse:
    """The signed-in resident's profile, or a redirect to the profile page to choose a community."""
    profile = selectors.profile_for(request.user)
    if profile is None:
        messages.info(request, _("First choose your home community."))
        return redirect(f"{reverse('interests:profile')}?{urlencode({'next': request.get_full_path()})}")
    return profile


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# --- Profile ------------------------------------------------------------------------------------------------


def _profile_initial(profile: ResidentProfile | None) -> dict:
    if profile is None:
        # A first visit starts from the model's defaults: SMS notices and recommendations on, e-mail off.
        return {"location_source": ProfileForm.LOCATION_COMMUNITY} | {
            name: ResidentProfile._meta.get_field(name).default
            for name in ("consent_sms", "consent_email", "consent_recommendations")
        }
    at_centre = (profile.latitude, profile.longitude) == (profile.community.latitude, profile.community.longitude)
    return {
        "community": profile.community_id,
        "location_source": ProfileForm.LOCATION_COMMUNITY if at_centre else ProfileForm.LOCATION_DEVICE,
        "latitude": profile.latitude,
        "longitude": profile.longitude,
        "interests": [str(pk) for pk in profile.interests.values_list("pk", flat=True)],
        "availability": sorted(selectors.availability_cells(profile)),
        "consent_sms": profile.consent_sms,
        "consent_email": profile.consent_email,
        "consent_recommendations": profile.consent_recommendations,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """画像: home community and location, interests, weekly free time, consent."""
    current = selectors.profile_for(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST, user=request.user, profile=current)
        if form.is_valid():
            try:
                services.profile_update(user=request.user, **form.service_kwargs())
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect(_safe_next(request, reverse("interests:profile")))
    else:
        form = ProfileForm(initial=_profile_initial(current), user=request.user, profile=current)
    return render(
        request,
        "interests/profile.html",
        {
            "form": form,
            "profile": current,
            "next": _safe_next(request, ""),
            "selected_interests": form.selected("interests"),
            "selected_cells": form.selected("availability"),
            "consent_fields": [form["consent_sms"], form["consent_email"], form["consent_recommendations"]],
        },
        status=400 if form.errors else 200,
    )


# --- Search -------------------------------------------------------------------------------------------------


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Find an interest by Chinese, pinyin or initials; htmx asks for the results list only."""
    form = SearchForm(request.GET or None)
    typed = form.cleaned_data["q"] if form.is_valid() else ""
    query = clean_query(typed)
    profile = selectors.profile_for(request.user)
    results = list(resident_selectors.search_categories(query, user=request.user, profile=profile)) if query else []
    context = {
        "form": form,
        "query": query,
        "results": results,
        "profile": profile,
        "shortened": len(" ".join(typed.split())) > MAX_QUERY,
        "nothing_searchable": bool(typed.strip()) and not query,
    }
    if _is_htmx(request):
        return render(request, "interests/_search_results.html", context)
    return render(request, "interests/search.html", context)


# --- Orders -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    """点单: the resident asks their community for a class in an interest that has none yet."""
    profile = _profile_required(request)
    if isinstance(profile, HttpResponse):
        return profile
    district_id = profile.community.street.district_id
    if request.method == "POST":
        form = OrderForm(request.POST, district_id=district_id)
        if form.is_valid():
            category = form.cleaned_data["category"]
            try:
                order = orders.order_place(resident=request.user, category=category, note=form.cleaned_data["note"])
            except ValidationError as exc:
                # A second open order for the same interest, or a whole field: say so, change nothing.
                form.add_error(None, _first_message(exc))
            else:
                messages.success(
                    request,
                    _("Your order for %(interest)s has been sent to %(community)s.")
                    % {"interest": category.display_name, "community": profile.community.name},
                )
                return redirect(f"{reverse('interests:my_orders')}#order-{order.pk}")
    else:
        form = OrderForm(initial={"category": request.GET.get("category")}, district_id=district_id)
    category = form.cleaned_data["category"] if form.is_bound and form.is_valid() else _requested_category(request, district_id)
    if category is None and request.method == "GET":
        raise Http404(_("No such interest."))
    return render(
        request,
        "interests/order_form.html",
        {"form": form, "category": category, "profile": profile},
        status=400 if form.errors else 200,
    )


def _requested_category(request: HttpRequest, district_id: int) -> Category | None:
    """The interest asked for, as the resident's district offers it (None when it hides it)."""
    raw = request.POST.get("category") or request.GET.get("category") or ""
    if not raw.isdigit():
        return None
    return selectors.offered_category(pk=int(raw), district=district_id)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel one of my own orders. Another resident's order is a 404."""
    order = get_object_or_404(Order.objects.select_related("category"), pk=pk, resident=request.user)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        orders.order_cancel(order=order, actor=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
    else:
        messages.success(request, _("Your order for %(interest)s is cancelled.") % {"interest": order.category.display_name})
    return redirect(f"{reverse('interests:my_orders')}#order-{order.pk}")


def _share_url(order: Order) -> str | None:
    if order.status not in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED):
        return None
    return share_url(order.pk)


def _ical_url(request: HttpRequest, profile: ResidentProfile | None) -> str | None:
    # The feed itself lives in activities; until it exists the page simply leaves the link out.
    if profile is None:
        return None
    try:
        return request.build_absolute_uri(reverse("activities:ical", args=[profile.calendar_token]))
    except NoReverseMatch:
        return None


@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    """My orders with their timelines, my registrations and my next sessions: a fixed number of queries."""
    profile = selectors.profile_for(request.user)
    orders = list(resident_selectors.resident_orders(user=request.user))
    timelines = [(order, resident_selectors.order_timeline(order, resident=request.user)) for order in orders]
    registrations = list(resident_selectors.resident_registrations(user=request.user))
    sessions = resident_selectors.resident_upcoming_sessions(user=request.user)
    ical_url = _ical_url(request, profile)
    # Thin demand (issue 22): how many neighbours wait with each order, the questions of near misses, and a
    # share link for each open order. Two queries whatever the number of orders.
    gathering = dispatch_selectors.gathering_for_orders([o.pk for o in orders])
    questions = dispatch_selectors.near_miss_questions(user=request.user)
    timelines = [
        (order, steps, gathering.get(order.pk), questions.get(order.pk, ()), _share_url(order))
        for order, steps in timelines
    ]
    return render(
        request,
        "interests/my_orders.html",
        {
            # Places to reconfirm (no-shows): their requests and the rule, on the same timeline.
            "reconfirmations": list(resident_reconfirmations(user=request.user)),
            "noshow_rules": list(resident_active_rules(user=request.user)),
            "profile": profile,
            "timelines": timelines,
            "registrations": registrations,
            "sessions": sessions,
            "ical_url": ical_url,
            "webcal_url": ical_url.replace("https://", "webcal://").replace("http://", "webcal://") if ical_url else None,
            "cancel_form": CancelForm(),
        },
    )


# --- Interest groups ----------------------------------------------------------------------------------------


@login_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    """Groups of my community, then of the other communities of my street."""
    profile = _profile_required(request)
    if isinstance(profile, HttpResponse):
        return profile
    category_id = request.GET.get("category")
    category_id = int(category_id) if category_id and category_id.isdigit() else None
    # Eleven screens of groups on a phone were too many: a page at a time, own community first.
    page = Paginator(
        resident_selectors.groups_for_resident(user=request.user, profile=profile, category_id=category_id), GROUPS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "interests/groups.html",
        {"profile": profile, "groups": list(page.object_list), "page": page, "category_id": category_id},
    )


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_detail(pk=pk, user=request.user)
    if group is None:
        raise Http404(_("No such group."))
    profile = selectors.profile_for(request.user)
    can_join = profile is not None and group.community.street_id == profile.community.street_id
    return render(
        request,
        "interests/group_detail.html",
        {
            "group": group,
            "profile": profile,
            "can_join": can_join,
            "sessions": resident_selectors.group_upcoming_sessions(group=group),
        },
    )


def _joinable_group(request: HttpRequest, pk: int, profile: ResidentProfile) -> InterestGroup:
    # Groups outside the resident's street are not listed to them; `services.group_join` refuses them too.
    return get_object_or_404(InterestGroup, pk=pk, community__street_id=profile.community.street_id)


@login_required
@require_POST
def group_join(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile_required(request)
    if isinstance(profile, HttpResponse):
        return profile
    group = _joinable_group(request, pk, profile)
    try:
        services.group_join(group=group, user=request.user)
    except ConflictError as exc:
        # Full or no longer active: back to where the resident came from (the group page may be gone).
        messages.error(request, _first_message(exc))
        return redirect(_safe_next(request, reverse("interests:groups")))
    messages.success(request, _("You have joined %(group)s.") % {"group": group.name})
    return redirect(_safe_next(request, reverse("interests:group_detail", args=[group.pk])))


@login_required
@require_POST
def group_leave(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile_required(request)
    if isinstance(profile, HttpResponse):
        return profile
    group = _joinable_group(request, pk, profile)
    services.group_leave(group=group, user=request.user)
    messages.success(request, _("You have left %(group)s.") % {"group": group.name})
    return redirect(_safe_next(request, reverse("interests:group_detail", args=[group.pk])))
