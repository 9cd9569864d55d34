import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from activities.models import Order
from community_college.params import BoundedIsoDateTimeFilter
from interests.enums import OrderStatus
from interests.models import Category

# Ids are 32-bit on every database we run; a larger number would overflow SQLite's parameters (a 500).
ID_MAX = 2**31 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number in the database's range, else a 400 on the filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class CategoryFilter(django_filters.FilterSet):
    parent = IdFilter(field_name="parent_id")
    root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="Broad fields only")

    class Meta:
        model = Category
        fields = ["parent", "root"]


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)

    class Meta:
        model = Order
        fields = ["status"]


class StaffOrderFilter(OrderFilter):
    community = IdFilter(field_name="community_id")
    category = IdFilter(field_name="category_id")
    submitted_after = BoundedIsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = BoundedIsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta(OrderFilter.Meta):
        fields = ["status", "community", "category"]
