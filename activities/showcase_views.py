"""The resident portal's showcase pages (兴趣展示): near me, a showcase with register, proposing one, posting
photos after it, the walls (a college's and the district's), and the photos themselves.

Every write calls `activities.showcases`; refusals (ValidationErrors) are shown as messages, never a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import College
from accounts.selectors import scope_for
from community_college import uploads
from interests.enums import GroupRole
from interests.models import InterestGroup
from venues.models import Venue

from . import showcase_selectors as selectors
from . import showcases as services
from .enums import CourseStatus, RegistrationStatus, ShowcaseStatus
from .forms import CourseFilterForm, MediaUploadForm, ShowcaseProposeForm
from .models import Course, Showcase, ShowcaseMedia
from .views import distance_label


def _refusal(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_GET
def showcase_list(request: HttpRequest) -> HttpResponse:
    """Upcoming showcases near home, with the filters of classes near me. Queries: the profile (1), the
    showcases (1), my registrations among them (1), the filter options (2)."""
    form = CourseFilterForm(request.GET)
    rows = selectors.showcases_near(user=request.user, **form.filters())
    mine = selectors.showcase_registration_ids(user=request.user, showcase_ids=[r.showcase.pk for r in rows])
    context = {
        "form": form,
        "rows": [
            {
                "showcase": r.showcase,
                "distance": distance_label(r.distance_km),
                "within_walk": r.within_walk,
                "status": mine.get(r.showcase.pk),
            }
            for r in rows
        ],
        "walking_distance": distance_label(settings.WALKING_CIRCLE_KM),
        "statuses": RegistrationStatus,
        "may_propose": request.user.is_authenticated and _may_propose(request.user),
    }
    return render(request, "activities/showcases/list.html", context)


def _page_or_404(request: HttpRequest, pk: int) -> Showcase:
    try:
        return selectors.showcase_for_page(pk=pk, user=request.user)
    except Showcase.DoesNotExist:
        raise Http404(_("There is no such showcase.")) from None


@require_GET
def showcase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    showcase = _page_or_404(request, pk)
    manage = selectors.may_manage(user=request.user, showcase=showcase)
    context = {
        "showcase": showcase,
        "registration": selectors.audience_state(showcase=showcase, user=request.user),
        "photos": selectors.approved_media(showcase=showcase),
        "statuses": RegistrationStatus,
        "manage": manage,
        "approved": showcase.status == ShowcaseStatus.APPROVED,
        "upload_form": MediaUploadForm() if manage and showcase.status == ShowcaseStatus.APPROVED else None,
        "started": showcase.starts_at <= _now(),
    }
    return render(request, "activities/showcases/detail.html", context)


def _now():
    from django.utils import timezone

    return timezone.now()


@require_POST
def showcase_register(request: HttpRequest, pk: int) -> HttpResponse:
    detail = reverse("activities:showcase_detail", args=[pk])
    if not request.user.is_authenticated:
        return redirect(f"{reverse(settings.LOGIN_URL)}?next={detail}")
    showcase = _page_or_404(request, pk)
    try:
        registration = services.showcase_register(showcase=showcase, resident=request.user)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        if registration.status == RegistrationStatus.CONFIRMED:
            messages.success(request, _("You have a seat in the audience."))
        else:
            messages.success(request, _("The audience is full, so you are on the waiting list."))
    return redirect(detail)


def _proposable(user):
    groups = list(
        InterestGroup.objects.filter(
            memberships__user=user, memberships__role=GroupRole.LEADER, is_active=True
        ).select_related("community")
    )
    courses = list(
        Course.objects.filter(teacher__user=user, status__in=[CourseStatus.OPEN, CourseStatus.CLOSED])
        .exclude(kind="showcase")
        .select_related("community")
    )
    scope = scope_for(user)
    if scope.can_change:
        groups += list(
            scope.filter(InterestGroup.objects.filter(is_active=True)).exclude(pk__in=[g.pk for g in groups])[
                :200
            ]
        )
    return groups, courses


def _may_propose(user) -> bool:
    groups, courses = _proposable(user)
    return bool(groups or courses)


@login_required
@require_http_methods(["GET", "POST"])
def showcase_propose(request: HttpRequest) -> HttpResponse:
    """A group's leader or a class's teacher proposes a showcase; the venue is booked as the proposal is saved."""
    groups, courses = _proposable(request.user)
    if not groups and not courses:
        messages.error(request, _("Only a group's leader or a class's teacher can propose a showcase."))
        return redirect("activities:showcases")
    streets = {g.community.street_id for g in groups} | {c.community.street_id for c in courses}
    venues = Venue.objects.filter(is_active=True, community__street_id__in=streets).order_by("name")
    form = ShowcaseProposeForm(request.POST or None, groups=groups, courses=courses, venues=venues)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            showcase = services.showcase_propose(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                venue=data["venue"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                programme=data["programme"],
                participants=data["participants"],
                **form.owner_kwargs(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Your showcase is proposed. Staff will look at it soon."))
            return redirect("activities:showcase_detail", pk=showcase.pk)
    return render(request, "activities/showcases/propose.html", {"form": form})


@login_required
@require_POST
def showcase_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    showcase = _page_or_404(request, pk)
    form = MediaUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            services.media_add(
                actor=request.user,
                showcase=showcase,
                upload=form.cleaned_data["photo"],
                caption=form.cleaned_data["caption"],
                consent_confirmed=form.cleaned_data["consent_confirmed"],
            )
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("Thank you. The photo is shown once staff have looked at it."))
    return redirect("activities:showcase_detail", pk=pk)


@require_GET
def showcase_wall(request: HttpRequest, college: int | None = None) -> HttpResponse:
    """The public showcase wall: one college's, or the district's (all colleges)."""
    found = None
    if college is not None:
        found = get_object_or_404(College.objects.select_related("community"), pk=college)
    data = selectors.wall(community_id=found.community_id if found else None)
    colleges = College.objects.order_by("name").only("id", "name")
    return render(
        request, "activities/showcases/wall.html", {"wall": data, "college": found, "colleges": colleges}
    )


@require_GET
def media_file(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    """A stored photo: approved ones for everyone (the walls); others for the uploader and the community's staff."""
    item = get_object_or_404(ShowcaseMedia, pk=pk)
    if not selectors.media_visible(user=request.user, item=item):
        raise Http404
    name = item.thumbnail if size == "thumb" else item.name
    try:
        handle = uploads.open_stored(name)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.content_type)
    # Private: a photo staff take down later must not linger in a shared cache.
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
