"""The category tree as the city's default, adopted and adapted by districts (issue 18, 全市共享).

The city office writes the default (`Category`, through its admin, which only it and superusers may change);
a district office adopts it (`district_categories_adopt`: its own published version, one `DistrictCategory`
per node, each naming the node it came from) and adapts its copy (`district_category_adapt`). Neither step
touches the city's nodes nor another district's version.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.offices import require_city_office, require_district_office
from community_college.writes import update_allowed_fields

from .models import Category, DistrictCategory

ADAPTABLE_FIELDS = ("name", "min_size", "max_size", "sort_order", "is_active")


@transaction.atomic
def category_default_update(*, category: Category, actor, **changes) -> Category:
    """Change a node of the city's default tree: the city office's write, and no one else's."""
    require_city_office(actor)
    unknown = set(changes) - set(ADAPTABLE_FIELDS) - {"name_en"}
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    category = Category.objects.select_for_update().get(pk=category.pk)
    for field, value in changes.items():
        setattr(category, field, value)
    category.full_clean()
    category.save(update_fields=list(changes))
    return category


@transaction.atomic
def district_categories_adopt(
    *, district_id: int, actor, categories: Iterable[Category] | None = None
) -> list[DistrictCategory]:
    """Adopt the city's nodes (all of them, or `categories`) as the district's own version.

    Nodes the district already holds are left as adapted: adopting again only adds what the city added since.
    """
    require_district_office(actor, district_id)
    nodes = (
        Category.objects.all()
        if categories is None
        else Category.objects.filter(pk__in=[c.pk for c in categories])
    )
    held = set(DistrictCategory.objects.filter(district_id=district_id).values_list("category_id", flat=True))
    now = timezone.now()
    rows = [
        DistrictCategory(
            district_id=district_id,
            category=node,
            name=node.name,
            min_size=node.min_size,
            max_size=node.max_size,
            sort_order=node.sort_order,
            is_active=node.is_active,
            adopted_by=actor,
            adopted_at=now,
        )
        for node in nodes.order_by("pk")
        if node.pk not in held
    ]
    return DistrictCategory.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def district_category_adapt(*, version: DistrictCategory, actor, **changes) -> DistrictCategory:
    """Adapt the district's copy of one node; the city default and other districts stay as they are."""
    version = DistrictCategory.objects.select_for_update().get(pk=version.pk)
    require_district_office(actor, version.district_id)
    return update_allowed_fields(
        version, changes, allowed=ADAPTABLE_FIELDS, stamps={"adapted_at": timezone.now(), "adapted_by": actor}
    )


def district_category_tree(*, district_id: int) -> QuerySet[DistrictCategory]:
    """The district's version of the tree, each node with the city default it came from."""
    return DistrictCategory.objects.filter(district_id=district_id).select_related("category__parent")
