"""Pages of the fund: the public transparency page (公示), residents' campaigns and pledges, and for staff
in scope the receipts and the finance office's workbook. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import College
from accounts.selectors import scope_for
from activities.models import Term

from . import selectors, services
from .enums import CampaignStatus, Source, Use
from .forms import PledgeForm
from .models import Campaign, Expense
from .reports import ledger_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _term(request: HttpRequest, college_id: int):
    wanted = request.GET.get("term", "")
    if wanted.isdigit():
        return get_object_or_404(Term, pk=int(wanted))
    return selectors.default_term(college_id=college_id)


@require_GET
def public(request: HttpRequest, pk: int) -> HttpResponse:
    """公示: a college's income by source and spending by use in a term, month by month, and each campaign's
    raised against spent. Open to everyone; names appear only where a giver chose to be named."""
    college = get_object_or_404(College.objects.select_related("community__street"), pk=pk)
    term = _term(request, college.pk)
    report = selectors.college_report(college_id=college.pk, term=term) if term else None
    return render(
        request,
        "funds/public.html",
        {
            "college": college,
            "term": term,
            "terms": list(selectors.terms_with_postings(college_id=college.pk)),
            "report": report,
            "source_labels": dict(Source.choices),
            "use_labels": dict(Use.choices),
        },
    )


CAMPAIGNS_PAGE_SIZE = 15


@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    """Open campaigns: the resident's own community first, then the others."""
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    home = getattr(profile, "community_id", None)
    # A district holds hundreds of colleges: a page at a time, the resident's own community first.
    page = Paginator(selectors.open_campaigns(home_first=home), CAMPAIGNS_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    rows = {row.id: row for row in selectors.campaign_rows(items)}
    return render(
        request, "funds/campaigns.html", {"items": [(c, rows[c.pk]) for c in items], "home": home, "page": page}
    )


@require_http_methods(["GET", "POST"])
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign and its pledge form. Signing in is needed to pledge, not to read."""
    item = get_object_or_404(Campaign.objects.select_related("college__community"), pk=pk)
    row = selectors.campaign_rows([item])[0]
    form = PledgeForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                services.pledge_create(
                    campaign=item,
                    amount=form.cleaned_data["amount"],
                    pledger=request.user,
                    public_name=form.cleaned_data["public_name"],
                    unit_name=form.cleaned_data["unit_name"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0] if exc.messages else _("The pledge was refused."))
            else:
                messages.success(
                    request,
                    _("Thank you! Your pledge is recorded. Bring or transfer the money to the community office; "
                      "staff will confirm when it arrives."),
                )
                return redirect("funds:campaign", pk=item.pk)
    mine = (
        list(item.pledges.filter(pledger=request.user).order_by("-created"))
        if request.user.is_authenticated
        else []
    )
    return render(
        request,
        "funds/campaign.html",
        {"campaign": item, "row": row, "form": form, "mine": mine, "open": item.status == CampaignStatus.OPEN and item.deadline >= timezone.localdate()},
    )


def _staff_scope(request: HttpRequest):
    if not request.user.is_authenticated:
        return None
    scope = scope_for(request.user)
    if scope.is_empty or not request.user.is_staff:
        raise PermissionDenied
    return scope


@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A receipt, for staff whose scope covers the college; anyone else gets 404 (it does not exist for them)."""
    scope = _staff_scope(request)
    if scope is None:
        return redirect_to_login(request.get_full_path())
    expense = get_object_or_404(Expense.objects.select_related("college"), pk=pk)
    if not scope.covers(expense.college.community_id) or not expense.receipt:
        raise Http404(_("No such receipt in your scope."))
    try:
        handle = expense.receipt.open("rb")
    except FileNotFoundError:
        raise Http404(_("The receipt file is missing.")) from None
    response = FileResponse(handle, content_type=expense.receipt_type or "application/octet-stream")
    response["Content-Disposition"] = f'inline; filename="receipt-{expense.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A PDF could carry script: it is shown in a sandbox, never as part of the portal's origin.
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
@require_GET
def ledger_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The college's ledger and its term report as one workbook, for staff in scope."""
    scope = _staff_scope(request)
    college = get_object_or_404(College, pk=pk)
    if not scope.covers(college.community_id):
        raise Http404(_("No such college in your scope."))
    term = _term(request, college.pk)
    response = HttpResponse(ledger_workbook(college=college, term=term), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="funds-{college.pk}-{timezone.localdate().isoformat()}.xlsx"'
    return response
