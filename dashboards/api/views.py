"""The data behind every dashboard chart: the same builders as the dashboard pages, as JSON.

Each page answers its cards, its charts (ECharts options, exactly what the page draws) and its tables,
always inside the caller's scope (`resolve_filters`): a street or community outside it selects nothing.
"""

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope
from accounts.selectors import scope_for
from community_college.exceptions import errors
from dashboards import pages, selectors
from dashboards.tables import Link

PAGE_NAMES = ("overview", "demand", "venues", "teachers", "stars")


class DashboardQuerySerializer(serializers.Serializer):
    street = serializers.IntegerField(required=False, min_value=1)
    community = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)
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
