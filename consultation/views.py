"""The resident's pages of 协商议事 (phone first) and the staff's consultation dashboard.

Thin: reads through `consultation.selectors` (which also decide visibility: a matter of another community
is a 404, as if it did not exist), writes through `consultation.services`, refusals shown as messages or
next to the field.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import mask_phone
from accounts.selectors import scope_for
from community_college import uploads

from . import selectors, services
from .enums import DecisionStatus, MatterStatus, PhotoStatus
from .forms import CommentForm, ConfirmForm, MatterForm, ReportForm
from .models import Comment, Confirmation, Decision, Matter, MatterPhoto, Participant

PAGE = 20


def _refusal(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("That could not be done.")


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _visible(request: HttpRequest, pk: int) -> Matter:
    matter = selectors.matters_visible_to(request.user).filter(pk=pk).select_related("community").first()
    if matter is None:
        raise Http404
    return matter


def _is_staff_for(user, matter: Matter) -> bool:
    return scope_for(user).covers(matter.community_id) or matter.department_id in selectors.liaison_department_ids(user)


@login_required
@require_GET
def matter_list(request: HttpRequest) -> HttpResponse:
    """My community's matters, newest first, 20 a page; open ones unless asked for all."""
    community_id = selectors.home_community_id(request.user)
    if community_id is None:
        messages.info(request, _("First choose your home community."))
        return redirect(f"{reverse('interests:profile')}?{urlencode({'next': request.get_full_path()})}")
    show = request.GET.get("show", "open")
    queryset = selectors.matters_for_resident(request.user)
    if show == "open":
        queryset = queryset.exclude(status=MatterStatus.CLOSED)
    elif show == "mine":
        queryset = queryset.filter(raised_by=request.user)
    page = Paginator(selectors.matter_list(queryset, user=request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "consultation/list.html", {"page": page, "show": show})


@login_required
@require_http_methods(["GET", "POST"])
def matter_create(request: HttpRequest) -> HttpResponse:
    community_id = selectors.home_community_id(request.user)
    if community_id is None:
        messages.info(request, _("First choose your home community."))
        return redirect(f"{reverse('interests:profile')}?{urlencode({'next': request.get_full_path()})}")
    form = MatterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The matter and its photo together: a refused photo leaves no matter without it.
            with transaction.atomic():
                matter = services.matter_raise(
                    resident=request.user,
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    show_name=data["show_name"],
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                )
                if data.get("photo"):
                    services.photo_add(matter=matter, upload=data["photo"], actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your community will answer within %(days)d working days.") % {"days": services.answer_working_days()})
            return redirect("consultation:matter", matter.pk)
    return render(request, "consultation/form.html", {"form": form})


@login_required
@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """While typing the title: matters of my community that look or sound alike (an HTML fragment)."""
    community_id = selectors.home_community_id(request.user)
    title = (request.GET.get("title") or "")[:80]
    found = selectors.similar_matters(community_id=community_id, title=title) if community_id else []
    return render(request, "consultation/_similar.html", {"similar": found})


@login_required
@require_GET
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visible = _visible(request, pk)
    staff = _is_staff_for(request.user, visible)
    matter = selectors.matter_detail(Matter.objects.all(), pk, staff=False)
    supports = matter.supports.filter(user=request.user).exists()
    asked = (
        matter.status == MatterStatus.CONFIRMING
        and request.user.pk in selectors.followers_of(matter.pk)
        and not Confirmation.objects.filter(matter=matter, resident=request.user).exists()
    )
    return render(
        request,
        "consultation/detail.html",
        {
            "matter": matter,
            "raiser_name": selectors.public_raiser_name(matter) if not staff else matter.raised_by.name,
            "raiser_phone": mask_phone(matter.raised_by.phone) if staff else "",
            "i_support": supports,
            "neighbour": selectors.home_community_id(request.user) == matter.community_id,
            "asked_to_confirm": asked,
            "comment_form": CommentForm(),
            "report_form": ReportForm(),
            "open_decisions": [d for d in matter.decisions.all() if d.status == DecisionStatus.OPEN],
        },
    )


@login_required
@require_POST
def support(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _visible(request, pk)
    try:
        if request.POST.get("withdraw"):
            services.matter_unsupport(matter=matter, user=request.user)
        elif services.matter_support(matter=matter, user=request.user):
            messages.success(request, _("Thank you for your support."))
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    return redirect("consultation:matter", pk)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _visible(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(matter=matter, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
    else:
        messages.error(request, _("Write a comment."))
    return redirect(f"{reverse('consultation:matter', args=[pk])}#comments")


@login_required
@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("matter"), pk=pk)
    _visible(request, found.matter_id)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.comment_report(comment=found, reporter=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Thank you: a moderator will look at it."))
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
    return redirect(f"{reverse('consultation:matter', args=[found.matter_id])}#comments")


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _visible(request, pk)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.matter_confirm(matter=matter, resident=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("Thank you for telling us."))
        return redirect("consultation:matter", pk)
    return render(request, "consultation/confirm.html", {"matter": matter, "form": form})


@login_required
@require_GET
def photo(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    """A stored photo, for those who may see its matter: neighbours once approved, staff always."""
    found = get_object_or_404(MatterPhoto.objects.select_related("matter"), pk=pk)
    matter = _visible(request, found.matter_id)
    if found.status != PhotoStatus.APPROVED and not _is_staff_for(request.user, matter):
        raise Http404
    name = found.thumbnail if size == "thumb" else found.name
    try:
        handle = uploads.open_stored(name)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        selectors.meetings_for_user(request.user).select_related("venue", "community"), pk=pk
    )
    me = Participant.objects.filter(meeting=meeting, user=request.user).first()
    decisions = Decision.objects.filter(meeting=meeting).select_related("matter", "owner_user", "owner_department")
    return render(
        request,
        "consultation/meeting.html",
        {
            "meeting": meeting,
            "me": me,
            "matters": meeting.matters.all(),
            "decisions": decisions,
            "may_vote": me is not None and me.present_at is not None,
            "agenda_visible": meeting.agenda_published_at is not None or scope_for(request.user).covers(meeting.community_id),
        },
    )


@login_required
@require_POST
def meeting_respond(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(selectors.meetings_for_user(request.user), pk=pk)
    try:
        services.meeting_respond(meeting=meeting, user=request.user, attend=request.POST.get("attend") == "1")
        messages.success(request, _("Thank you for your answer."))
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    return redirect("consultation:meeting", pk)


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision.objects.select_related("meeting"), pk=pk)
    get_object_or_404(selectors.meetings_for_user(request.user), pk=decision.meeting_id)
    try:
        services.vote_cast(decision=decision, voter=request.user, choice=request.POST.get("choice", ""))
        messages.success(request, _("Your vote is recorded."))
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    return redirect("consultation:meeting", decision.meeting_id)


# --- The staff's dashboard ----------------------------------------------------------------------------------

DASHBOARD_TTL = 300


@login_required
@require_GET
def dashboard(request: HttpRequest, export: bool = False) -> HttpResponse:
    """Raised, answered on time, deliberated, decided, done; median days per step; satisfaction; by street,
    community and category. The scope decides the rows; figures are cached per scope for five minutes."""
    scope = scope_for(request.user)
    if scope.is_empty:
        raise PermissionDenied
    days = 365
    since = timezone.now() - timedelta(days=days)
    key = "consultation-dashboard:" + scope.cache_key
    figures = cache.get(key)
    if figures is None:
        matters = scope.filter(Matter.objects.filter(raised_at__gte=since))
        figures = selectors.dashboard_figures(matters)
        figures["heat"] = selectors.matter_heat(matters)
        cache.set(key, figures, DASHBOARD_TTL)
    if export:
        from .export import dashboard_workbook

        response = HttpResponse(
            dashboard_workbook(figures), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="consultation.xlsx"'
        return response
    charts = {
        "heat": selectors.heat_chart(figures["heat"], title=_("Matters by place"), label_matters=_("Matters"))
    }
    return render(request, "consultation/dashboard.html", {"figures": figures, "days": days, "charts": charts})
