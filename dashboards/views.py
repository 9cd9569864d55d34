"""The district's dashboards: who may read them, and in what scope.

The district office (and superusers) read the whole district; street staff their street; community
staff their community (`accounts.selectors.scope_for`). Anyone else signed in gets 403; anonymous visitors
are sent to sign in. Every page and every export is filtered to the scope before anything is read.

Each page: the filters (street, community, interest, period) → `selectors.page_data` (cached figures)
→ `pages.<name>` (cards, charts, tables in the request's language) → HTML, or .xlsx with `export`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import College
from accounts.offices import is_city_office
from accounts.selectors import Scope, scope_for

from . import pages, selectors
from .forms import PERIOD_CHOICES, FilterForm
from .tables import Table, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TABS = [
    ("overview", gettext_lazy("Overview")),
    ("demand", gettext_lazy("Demand and supply")),
    ("venues", gettext_lazy("Venues")),
    ("teachers", gettext_lazy("Teachers")),
    ("stars", gettext_lazy("Star ratings")),
    ("funds", gettext_lazy("Funds")),
    ("showcases", gettext_lazy("Showcases")),
]
TITLES = dict(TABS)
# Chart ids of each page with their Bootstrap column widths (of 12), in the order they appear.
LAYOUT = {
    "overview": [("funnel", 5), ("daily", 7)],
    "demand": [("heatmap", 12), ("reasons", 12)],
    "venues": [("streets", 6), ("owners", 6), ("week", 12)],
    "teachers": [("load", 6), ("ratings", 6)],
    "stars": [("map", 6), ("trend", 6)],
    "college": [("history", 7), ("pillars", 5)],
    "funds": [("sources", 12)],
    "showcases": [("showcases", 12)],
    "city": [("participation", 6), ("loop", 6), ("stars", 6), ("funds", 6)],
}
# Filters a page ignores, so the form does not pretend otherwise.
IGNORED = {"venues": {"category"}, "stars": {"category", "period"}, "funds": {"category"}, "showcases": {"category"}}


def dashboard_view(view: Callable) -> Callable:
    """Sign-in required (redirect), a staff scope required (403); the view gets the scope."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = scope_for(request.user)
        if scope.is_empty:
            raise PermissionDenied
        return view(request, scope, *args, **kwargs)

    return require_GET(never_cache(wrapper))


def _xlsx(tables: list[Table], request: HttpRequest, filename: str) -> HttpResponse:
    wanted = request.GET.get("table")
    if wanted:
        tables = [t for t in tables if t.key == wanted]
        if not tables:
            raise Http404(_("No such table on this page."))
        filename = f"{filename}-{wanted}"
    response = HttpResponse(workbook(tables), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate().isoformat()}.xlsx"'
    return response


def _layout(name: str, built: pages.Page) -> list[tuple[str, int, str]]:
    """(chart id, column width, title) of the charts the page has, in order; the title labels the chart."""
    return [
        (chart, width, built.charts[chart].get("title", {}).get("text", ""))
        for chart, width in LAYOUT[name]
        if chart in built.charts
    ]


def _tabs(active: str) -> list[tuple[str, str, str, bool]]:
    return [(key, label, reverse(f"dashboards:{key}"), key == active) for key, label in TABS]


@dashboard_view
def page(request: HttpRequest, scope: Scope, *, name: str, export: bool = False) -> HttpResponse:
    names = pages.Names.load()
    form = FilterForm(
        request.GET or None, scope=scope, tree=list(names.communities.values()), categories=list(names.categories.values())
    )
    filters = selectors.resolve_filters(scope=scope, **form.values())
    data = selectors.page_data(name, filters)
    built = pages.BUILDERS[name](data, names, filters)
    if export:
        return _xlsx(built.tables, request, f"dashboard-{name}")
    query = request.GET.urlencode()
    return render(
        request,
        "dashboards/page.html",
        {
            "title": TITLES[name],
            "name": name,
            "tabs": _tabs(name),
            "form": form,
            "ignored": IGNORED.get(name, set()),
            "period_label": pages.period_label(filters) if "period" not in IGNORED.get(name, set()) else "",
            "page": built,
            "layout": _layout(name, built),
            "query": query,
            "export_url": reverse(f"dashboards:{name}_xlsx") + (f"?{query}" if query else ""),
            "period_choices": PERIOD_CHOICES,
        },
    )


@dashboard_view
def college(request: HttpRequest, scope: Scope, pk: int, *, export: bool = False) -> HttpResponse:
    """One college's star history and how each indicator contributed (the chosen month, or the latest)."""
    college = get_object_or_404(College.objects.select_related("community", "community__street"), pk=pk)
    if not scope.covers(college.community_id):
        raise Http404(_("No such college in your scope."))
    records = selectors.college_history(college_id=college.pk)
    month = request.GET.get("month", "")
    selected = next((r for r in records if r.period.strftime("%Y-%m") == month), records[0] if records else None)
    built = pages.college_page(college, records, selected)
    if export:
        return _xlsx(built.tables, request, f"college-{college.pk}")
    query = request.GET.urlencode()
    return render(
        request,
        "dashboards/college.html",
        {
            "title": college.name,
            "college": college,
            "tabs": _tabs("stars"),
            "page": built,
            "records": records,
            "selected": selected,
            "layout": _layout("college", built),
            "export_url": reverse("dashboards:college_xlsx", args=[college.pk]) + (f"?{query}" if query else ""),
            "query": "",
        },
    )


@require_GET
@never_cache
def city(request: HttpRequest, *, export: bool = False) -> HttpResponse:
    """The city office's comparison of districts (and superusers'): anyone else signed in gets 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_city_office(request.user):
        raise PermissionDenied
    filters = selectors.resolve_filters(scope=Scope(everything=True), period=request.GET.get("period"))
    data = selectors.page_data("city", filters)
    built = pages.BUILDERS["city"](data, pages.Names.load(), filters)
    if export:
        return _xlsx(built.tables, request, "dashboard-city")
    query = request.GET.urlencode()
    return render(
        request,
        "dashboards/city.html",
        {
            "title": _("The city's districts compared"),
            "tabs": [],
            "period_label": pages.period_label(filters),
            "period": filters.period,
            "page": built,
            "layout": _layout("city", built),
            "export_url": reverse("dashboards:city_xlsx") + (f"?{query}" if query else ""),
            "period_choices": PERIOD_CHOICES,
        },
    )
