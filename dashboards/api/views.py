"""The data behind every dashboard chart: the same builders as the dashboard pages, as JSON.

Each page answers its cards, its charts (ECharts options, exactly what the page draws) and its tables,
always inside the caller's scope (`resolve_filters`): a street or community outside it selects nothing.
"""

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope
from accounts.models import College
from accounts.selectors import scope_for
from community_college.exceptions import errors
from dashboards import pages, selectors
from dashboards.tables import Link, Table, workbook
from dashboards.views import XLSX
from ratings import stars

PAGE_NAMES = ("overview", "demand", "venues", "teachers", "stars", "funds", "showcases")


class DashboardQuerySerializer(serializers.Serializer):
    street = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    community = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    period = serializers.ChoiceField(choices=list(selectors.PERIOD_DAYS), required=False)


class CardSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()
    hint = serializers.CharField()


class ColumnSerializer(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.CharField()


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    note = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    cards = CardSerializer(many=True)
    charts = serializers.DictField(child=serializers.JSONField(), help_text="Chart id → ECharts option.")
    tables = TableSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


def plain(value):
    """Builders' output as JSON-ready values: dataclasses to dicts, links to their text, dates to ISO."""
    if isinstance(value, Link):
        return value.text
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value) if f.name != "page_rows"}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # lazy translations


@extend_schema(tags=["district"])
class DashboardView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = DashboardSerializer

    @extend_schema(
        summary="A dashboard page's cards, charts and tables within my scope",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(PAGE_NAMES)),
            DashboardQuerySerializer,
        ],
        responses={200: DashboardSerializer, **errors(400, 404)},
    )
    def get(self, request, name: str):
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        filters = selectors.resolve_filters(
            scope=scope_for(request.user),
            street_id=q.get("street"),
            community_id=q.get("community"),
            category_id=q.get("category"),
            period=q.get("period"),
        )
        data = selectors.page_data(name, filters)
        built = pages.BUILDERS[name](data, pages.Names.load(), filters)
        return Response(plain(built))


# --- .xlsx: the same workbooks as the dashboard pages' export buttons ------------------------------------------


class XlsxRenderer(BaseRenderer):
    """Declares the workbook's media type; the views hand over finished bytes, never data to render."""

    media_type = XLSX
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class AlwaysJsonErrors(BaseContentNegotiation):
    """Whatever Accept says: a workbook on success, the JSON error shape otherwise (never 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class XlsxQuerySerializer(DashboardQuerySerializer):
    table = serializers.CharField(
        required=False, max_length=40, help_text="Only this table (its `key`); every table by default."
    )


def _json_errors(*codes: int) -> dict:
    return {(code, "application/json"): response for code, response in errors(*codes).items()}


XLSX_RESPONSE = {
    (200, XLSX): OpenApiResponse(
        OpenApiTypes.BINARY, description="An .xlsx workbook: one sheet per table, every row, a bold header."
    )
}


class XlsxView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    renderer_classes = [XlsxRenderer]
    content_negotiation_class = AlwaysJsonErrors

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            # Only errors come as Response objects here: they keep the API's JSON shape.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    def workbook_response(self, tables: list[Table], filename: str) -> HttpResponse:
        wanted = self.request.query_params.get("table")
        if wanted:
            tables = [t for t in tables if t.key == wanted]
            if not tables:
                raise Http404(_("No such table on this page."))
            filename = f"{filename}-{wanted}"
        response = HttpResponse(workbook(tables), content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="{filename}-{timezone.localdate().isoformat()}.xlsx"'
        )
        return response


@extend_schema(tags=["district"])
class DashboardXlsxView(XlsxView):
    @extend_schema(
        operation_id="district_dashboards_xlsx",
        summary="A dashboard page's tables as an .xlsx workbook, within my scope",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(PAGE_NAMES)),
            XlsxQuerySerializer,
        ],
        responses={**XLSX_RESPONSE, **_json_errors(400, 404)},
    )
    def get(self, request, name: str):
        query = XlsxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        filters = selectors.resolve_filters(
            scope=scope_for(request.user),
            street_id=q.get("street"),
            community_id=q.get("community"),
            category_id=q.get("category"),
            period=q.get("period"),
        )
        built = pages.BUILDERS[name](selectors.page_data(name, filters), pages.Names.load(), filters)
        return self.workbook_response(built.tables, f"dashboard-{name}")


# --- A college's stars --------------------------------------------------------------------------------------------


class IndicatorContributionSerializer(serializers.Serializer):
    code = serializers.CharField()
    pillar = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Null: no value this month (scores 0).")
    weight = serializers.FloatField(allow_null=True)
    worst = serializers.FloatField(allow_null=True, help_text="The value that scores 0.")
    best = serializers.FloatField(allow_null=True, help_text="The value that earns full marks.")
    normalised = serializers.FloatField(allow_null=True, help_text="0 to 1: how far from worst to best.")
    points = serializers.FloatField(allow_null=True, help_text="Its share of the score (of 100).")
    inputs = serializers.DictField(child=serializers.JSONField(), help_text="The figures it came from.")


class StarRecordSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The first day of the month rated.")
    score = serializers.FloatField()
    stars = serializers.IntegerField()
    target_stars = serializers.IntegerField(
        allow_null=True, help_text="The level the score alone gives; stars move towards it one a month."
    )
    move = serializers.CharField(allow_null=True)
    move_label = serializers.CharField()
    standard = serializers.CharField(allow_null=True)
    thresholds = serializers.ListField(child=serializers.FloatField(), help_text="Scores for 2–5 stars.")
    pillars = serializers.DictField(child=serializers.FloatField(), help_text="Points earned per pillar.")
    indicators = IndicatorContributionSerializer(
        many=True, help_text="Empty for months rated before the portal computed stars itself."
    )


class CollegeStarsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    community = serializers.IntegerField()
    community_name = serializers.CharField()
    stars = serializers.IntegerField(help_text="The level now.")
    records = StarRecordSerializer(many=True, help_text="Latest month first.")


def _number(value):
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def star_record(record) -> dict:
    """A CollegeStarRecord as the API shows it: the stored breakdown with each indicator's labels."""
    info = record.indicators if isinstance(record.indicators, dict) else {}
    standard = info.get("standard") if isinstance(info.get("standard"), dict) else {}
    move = info.get("move")
    rows = []
    stored = info.get("indicators") if isinstance(info.get("indicators"), dict) else {}
    for spec in stars.INDICATORS:  # the catalogue's order, as on the page
        v = stored.get(spec.code)
        if not isinstance(v, dict):
            continue
        rows.append(
            {
                "code": spec.code,
                "pillar": spec.pillar.value,
                "label": str(spec.label),
                "unit": str(spec.unit),
                **{
                    key: _number(v.get(key))
                    for key in ("value", "weight", "worst", "best", "normalised", "points")
                },
                "inputs": plain(v.get("inputs") or {}),
            }
        )
    target = info.get("target_stars")
    return {
        "period": record.period,
        "score": record.score,
        "stars": record.stars,
        "target_stars": target if isinstance(target, int) else None,
        "move": move if isinstance(move, str) else None,
        "move_label": str(stars.MOVE_LABELS.get(move, "—")) if isinstance(move, str) else "—",
        "standard": standard.get("name"),
        "thresholds": [t for t in (standard.get("thresholds") or []) if isinstance(t, int | float)],
        "pillars": {
            str(k): float(v) for k, v in (info.get("pillars") or {}).items() if isinstance(v, int | float)
        },
        "indicators": rows,
    }


def _college_in_scope(request, pk: int) -> College:
    college = get_object_or_404(College.objects.select_related("community"), pk=pk)
    if not scope_for(request.user).covers(college.community_id):
        raise Http404
    return college


@extend_schema(tags=["district"])
class CollegeStarsView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = CollegeStarsSerializer

    @extend_schema(
        summary="A college's star history, with how each indicator contributed each month",
        responses={200: CollegeStarsSerializer, **errors(404)},
    )
    def get(self, request, pk: int):
        college = _college_in_scope(request, pk)
        records = selectors.college_history(college_id=college.pk)
        body = {
            "id": college.pk,
            "name": college.name,
            "community": college.community_id,
            "community_name": college.community.name,
            "stars": college.stars,
            "records": [star_record(r) for r in records],
        }
        return Response(CollegeStarsSerializer(body).data)


@extend_schema(tags=["district"])
class CollegeStarsXlsxView(XlsxView):
    @extend_schema(
        operation_id="district_colleges_stars_xlsx",
        summary="A college's star page as an .xlsx workbook (indicators of the chosen month, history)",
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM; the latest month by default."),
            OpenApiParameter("table", str, description="Only this table: indicators or history."),
        ],
        responses={**XLSX_RESPONSE, **_json_errors(404)},
    )
    def get(self, request, pk: int):
        college = _college_in_scope(request, pk)
        records = selectors.college_history(college_id=college.pk)
        month = request.query_params.get("month", "")
        selected = next(
            (r for r in records if r.period.strftime("%Y-%m") == month), records[0] if records else None
        )
        built = pages.college_page(college, records, selected)
        return self.workbook_response(built.tables, f"college-{college.pk}")
