import django_filters

from interests.enums import OrderStatus
from interests.models import Category, Order


class CategoryFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")
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
    community = django_filters.NumberFilter(field_name="community_id")
    category = django_filters.NumberFilter(field_name="category_id")
    submitted_after = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta(OrderFilter.Meta):
        fields = ["status", "community", "category"]
