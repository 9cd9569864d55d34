"""Reads of interests' own rows: the category tree, residents' profiles and their free times, groups.

Reads that join classes or orders (search with open classes, my orders, my registrations, groups with
their meetings) live in `activities.resident_selectors`, above both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from django.core.cache import cache
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Community

from .models import Category, DistrictCategory, GroupMembership, InterestGroup, ResidentProfile

# The weekly grid of the profile page: each part of the day is one ResidentAvailability window.
DAYPARTS: dict[str, tuple[time, time]] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(13, 0), time(18, 0)),
    "evening": (time(18, 0), time(21, 30)),
}


def profile_for(user) -> ResidentProfile | None:
    """The resident's profile with their community and street, or None before they chose a community."""
    if not user.is_authenticated:
        return None
    return ResidentProfile.objects.select_related("community__street").filter(user=user).first()


def communities_by_street() -> list[tuple[str, list[Community]]]:
    """The organisation tree as the profile's <optgroup>s: each street with its communities."""
    grouped: dict[str, list[Community]] = defaultdict(list)
    for community in Community.objects.select_related("street").order_by("street__name", "name"):
        grouped[community.street.name].append(community)
    return list(grouped.items())


# --- The category tree as a district sees it (issue 18) ------------------------------------------------------

# What a district may change of a node (`DistrictCategory`), and the annotation that carries its value.
SEEN_FIELDS = {
    "name": "seen_name",
    "min_size": "seen_min_size",
    "max_size": "seen_max_size",
    "sort_order": "seen_sort_order",
    "is_active": "offered",
}

DistrictRef = int | Expression | None


def resident_district(user) -> Expression:
    """The resident's district as a subquery, for callers that have the user but not the profile loaded:
    the district's version is then read in the same query as the tree, not in two more."""
    return Subquery(
        ResidentProfile.objects.filter(user_id=user.pk).values("community__street__district_id")[:1]
    )


RESIDENT_DISTRICT_CACHE_SECONDS = 300


def resident_district_id(user) -> int | None:
    """The resident's district by id, kept in the cache for a few minutes: pages that cache what a
    district sees (the filter of "classes near me") need a key, and a resident moves district rarely.
    None without a profile or a community."""
    key = f"interests:resident_district:{user.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    district_id = (
        ResidentProfile.objects.filter(user_id=user.pk).values_list("community__street__district_id", flat=True).first()
    )
    cache.set(key, district_id or 0, RESIDENT_DISTRICT_CACHE_SECONDS)
    return district_id


def categories_seen_by(district: DistrictRef) -> QuerySet[Category]:
    """Every node of the city's tree as `district` sees it: the district's adopted and adapted version
    where it holds one, the city default where it does not (a node the city added since it adopted, or a
    district that never adopted); the city default for everyone when `district` is None.

    Each row carries `seen_name`, `seen_min_size`, `seen_max_size`, `seen_sort_order`, `offered` and
    `seen_name_en` (the city's English name, unless the district renamed the node: its own name has none),
    read through one LEFT JOIN, so the tree costs one query whatever its size. `district` is an id or an
    expression (`resident_district`). The rows stay the city's `Category`: orders, classes and skills
    point at them, so figures compare across districts.
    """
    categories = Category.objects.all()
    if district is None:
        return categories.annotate(
            **{seen: F(field) for field, seen in SEEN_FIELDS.items()}, seen_name_en=F("name_en")
        )
    categories = categories.annotate(
        version=FilteredRelation("district_versions", condition=Q(district_versions__district_id=district))
    )
    return categories.annotate(
        **{seen: Coalesce(f"version__{field}", field) for field, seen in SEEN_FIELDS.items()},
        seen_name_en=Case(
            When(Q(version__name__isnull=True) | Q(version__name=F("name")), then=F("name_en")),
            default=Value(""),
            output_field=CharField(),
        ),
    )


def offered_categories(district: DistrictRef) -> QuerySet[Category]:
    """The nodes `district` offers its residents (a node below a hidden one is filtered by the callers
    that walk the tree: `interests_by_field`, `offered_category`)."""
    return categories_seen_by(district).filter(offered=True)


def _version_name(district: DistrictRef, category) -> Subquery:
    return Subquery(
        DistrictCategory.objects.filter(district_id=district, category_id=category).values("name")[:1]
    )


def with_seen_ancestors(categories: QuerySet[Category], district: DistrictRef) -> QuerySet[Category]:
    """`categories` (of `categories_seen_by`, with `parent__parent` selected) with the names of their
    field and sub-field as `district` sees them (`as_seen` puts them in place), and without the nodes that
    lie below a node the district hides or the city retired. Still one query."""
    if district is None:
        return categories.exclude(parent__is_active=False).exclude(parent__parent__is_active=False)
    hidden = categories_seen_by(district).filter(offered=False).values("pk")
    return (
        categories.exclude(parent_id__in=hidden)
        .exclude(parent__parent_id__in=hidden)
        .annotate(
            seen_parent_name=_version_name(district, OuterRef("parent_id")),
            seen_grandparent_name=_version_name(district, OuterRef("parent__parent_id")),
        )
    )


def _rename(category: Category | None, name: str | None) -> None:
    if category is not None and name and name != category.name:
        category.name, category.name_en = name, ""


def as_seen(categories: Iterable[Category]) -> list[Category]:
    """The rows of `categories_seen_by` with the district's values in place of the city's, so that
    templates and forms that read `name`, `min_size` … show what the district offers.

    For reading only: such an instance must never be saved (it would write the district's values over
    the city's default).
    """
    seen = []
    for category in categories:
        for field, annotation in SEEN_FIELDS.items():
            setattr(category, field, getattr(category, annotation))
        category.name_en = category.seen_name_en
        parent = category.parent if "parent" in category._state.fields_cache else None
        _rename(parent, getattr(category, "seen_parent_name", None))
        if parent is not None and "parent" in parent._state.fields_cache:
            _rename(parent.parent, getattr(category, "seen_grandparent_name", None))
        seen.append(category)
    return seen


def offered_category(*, pk: int, district: DistrictRef) -> Category | None:
    """The interest `pk` as `district` sees it, with its `parent` (also as seen), or None when it, or a
    node above it, is hidden in that district or retired. One query: the node and its ancestors."""
    rows = {
        c.pk: c
        for c in as_seen(
            categories_seen_by(district).filter(Q(pk=pk) | Q(children=pk) | Q(children__children=pk))
        )
    }
    category = rows.get(pk)
    node = category
    while node is not None:
        if not node.is_active:
            return None
        if node.parent_id is None:
            break
        parent = rows.get(node.parent_id)
        node.parent = parent
        node = parent
    return category


def seen_size(field: str, *, district: str, category: str = "category") -> Coalesce:
    """An expression for querysets of rows that name an interest (`category`) and lie in a district (the
    lookup `district`, such as "community__street__district_id"): the interest's `field` ("min_size" or
    "max_size") as that district adapted it, else the city's. A correlated subquery: no extra query."""
    version = DistrictCategory.objects.filter(
        category_id=OuterRef(f"{category}_id"), district_id=OuterRef(district)
    ).values(field)[:1]
    return Coalesce(Subquery(version), F(f"{category}__{field}"))


def category_seen_from(*, category_id: int, community_id: int) -> Category:
    """The interest as the district of `community_id` sees it (`as_seen`: its name and sizes), one query;
    for the writes that size a class of that community (confirming a proposed class)."""
    district = Subquery(Community.objects.filter(pk=community_id).values("street__district_id")[:1])
    return as_seen(categories_seen_by(district).filter(pk=category_id))[0]


@dataclass(frozen=True)
class InterestBranch:
    """A broad field of the interest tree (体育) and its concrete interests, under their sub-fields
    (传统健身 → 太极拳, 八段锦); `groups` pairs each sub-field (None: directly under the field) with its
    interests."""

    field: Category
    groups: list[tuple[Category | None, list[Category]]]


def interests_by_field(district: DistrictRef = None) -> list[InterestBranch]:
    """The concrete interests a resident of `district` can choose (the leaves of the tree, as the
    district sees them), grouped by broad field.

    One query. An interest is offered only when it and every category above it are offered.
    """
    tree = as_seen(categories_seen_by(district).order_by("seen_sort_order", "seen_name", "pk"))
    # A sub-field whose interests are all hidden is still a field, not an interest to choose.
    has_children = {c.parent_id for c in tree if c.parent_id is not None}
    categories = [c for c in tree if c.is_active]
    by_id = {c.pk: c for c in categories}

    def ancestors(category: Category) -> list[Category] | None:
        chain = []
        while category.parent_id is not None:
            parent = by_id.get(category.parent_id)
            if parent is None or len(chain) > 10:  # an inactive ancestor (or a cycle): not offered
                return None
            chain.append(parent)
            category = parent
        return chain

    branches: dict[int, dict[int | None, list[Category]]] = defaultdict(lambda: defaultdict(list))
    for category in categories:
        if category.pk in has_children or category.parent_id is None:
            continue
        chain = ancestors(category)
        if chain is None:
            continue
        root = chain[-1]
        sub = chain[0] if len(chain) > 1 else None
        branches[root.pk][sub.pk if sub else None].append(category)
    roots = [c for c in categories if c.parent_id is None and c.pk in branches]

    def in_tree_order(group: tuple[Category | None, list[Category]]):
        sub = group[0]
        return (0, 0, "") if sub is None else (1, sub.sort_order, sub.name)

    return [
        InterestBranch(
            field=root,
            groups=sorted(
                ((by_id[sub_id] if sub_id else None, leaves) for sub_id, leaves in branches[root.pk].items()),
                key=in_tree_order,
            ),
        )
        for root in roots
    ]


def in_or_below(category) -> Q:
    """Rows whose interest is `category` (an id or an OuterRef) or lies below it in the tree, down two
    levels: field → sub-field → interest."""
    return Q(category_id=category) | Q(category__parent_id=category) | Q(category__parent__parent_id=category)


def availability_cells(profile: ResidentProfile | None) -> set[str]:
    """Which cells of the weekly grid ("<weekday>-<part>") the resident's free times touch."""
    if profile is None:
        return set()
    cells = set()
    for weekday, start, end in profile.availability.values_list("weekday", "start", "end"):
        for part, (part_start, part_end) in DAYPARTS.items():
            if start < part_end and part_start < end:
                cells.add(f"{weekday}-{part}")
    return cells


def groups_near(profile: ResidentProfile | None) -> QuerySet[InterestGroup]:
    """Active interest groups of the resident's community and the other communities of their street."""
    groups = InterestGroup.objects.filter(is_active=True)
    if profile is None:
        return groups
    return groups.filter(community__street_id=profile.community.street_id)


def group_detail(*, pk: int, user) -> InterestGroup | None:
    """One active group with its member count and whether the resident belongs to it."""
    return (
        InterestGroup.objects.filter(pk=pk, is_active=True)
        .select_related("category__parent", "community__street")
        .annotate(
            member_count=Count("memberships", distinct=True),
            is_member=Exists(GroupMembership.objects.filter(group_id=OuterRef("pk"), user=user)),
        )
        .first()
    )
