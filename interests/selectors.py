"""Reads of interests' own rows: the category tree, residents' profiles and their free times, groups.

Reads that join classes or orders (search with open classes, my orders, my registrations, groups with
their meetings) live in `activities.resident_selectors`, above both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import time

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import Community

from .models import Category, GroupMembership, InterestGroup, ResidentProfile

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


@dataclass(frozen=True)
class InterestBranch:
    """A broad field of the interest tree (体育) and its concrete interests, under their sub-fields
    (传统健身 → 太极拳, 八段锦); `groups` pairs each sub-field (None: directly under the field) with its
    interests."""

    field: Category
    groups: list[tuple[Category | None, list[Category]]]


def interests_by_field() -> list[InterestBranch]:
    """The concrete interests a resident can choose (the leaves of the tree), grouped by broad field.

    One query. An interest is offered only when it and every category above it are offered.
    """
    categories = list(Category.objects.filter(is_active=True).order_by("sort_order", "name"))
    by_id = {c.pk: c for c in categories}
    has_children = {c.parent_id for c in categories if c.parent_id is not None}

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
