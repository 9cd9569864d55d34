"""Reads about users, roles and the organisation tree; above all, a staff member's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from community_college.errors import ScopeError

from .enums import Role
from .models import Community, RoleAssignment, User


@dataclass(frozen=True)
class Scope:
    """Which communities a user acts on, and whether they may change operational data there.

    `everything` is the whole deployment (superusers, the city office); a district office reaches the
    communities and streets of its own districts (`district_wide`), staff of a street or community theirs.
    `district_ids` are the districts the scope touches: their reference data (terms, departments, the
    teacher pool) is read by everyone working there.
    """

    everything: bool = False
    can_change: bool = False
    community_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    district_ids: frozenset[int] = frozenset()
    # The district office: reads whole districts (dashboards, recognition votes), changes nothing there.
    district_wide: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.community_ids and not self.district_wide

    @property
    def reads_districts(self) -> bool:
        """The district office's reach or more: the whole of each district in `district_ids`, or everything."""
        return self.everything or self.district_wide

    @property
    def cache_key(self) -> str:
        """A short key naming the rows of this scope, for figures cached per scope."""
        if self.everything:
            return "all"
        if self.district_wide:
            return "d" + ",".join(str(d) for d in sorted(self.district_ids))
        return "c" + ",".join(str(c) for c in sorted(self.community_ids))

    def filter(self, queryset: QuerySet, community_path: str = "community") -> QuerySet:
        """Narrow `queryset` to this scope; `community_path` leads from the model to its Community."""
        if self.everything:
            return queryset
        if not self.community_ids:
            return queryset.none()
        lookup = "pk__in" if community_path == "" else f"{community_path}__in"
        return queryset.filter(**{lookup: self.community_ids})

    def filter_district(self, queryset: QuerySet, *district_paths: str) -> QuerySet:
        """Narrow district-owned rows (terms, departments, teachers) to the districts this scope touches.

        Each of `district_paths` leads from the model to its District ("" for District itself); a row
        belongs to the scope if any of them does (a teacher: the home community's district, or their own).
        """
        if self.everything:
            return queryset
        if not self.district_ids:
            return queryset.none()
        condition = Q()
        for path in district_paths or ("district",):
            condition |= Q(**{"pk__in" if path == "" else f"{path}__in": self.district_ids})
        return queryset.filter(condition)

    def covers(self, community_id: int | None) -> bool:
        return self.everything or (community_id is not None and community_id in self.community_ids)

    def covers_district(self, district_id: int | None) -> bool:
        return self.everything or (district_id is not None and district_id in self.district_ids)

    def can_change_community(self, community_id: int | None) -> bool:
        return self.can_change and self.covers(community_id)


def scope_for(user: User) -> Scope:
    """The user's scope, computed once per request object (two queries at most)."""
    cached = getattr(user, "_cc_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._cc_scope = scope
    return scope


def _compute_scope(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True, can_change=True)
    roles = list(
        RoleAssignment.objects.filter(
            user=user,
            role__in=[Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_OFFICE, Role.CITY_OFFICE],
        ).values_list(
            "role",
            "community_id",
            "street_id",
            "district_id",
            "community__street__district_id",
            "street__district_id",
        )
    )
    if any(role == Role.CITY_OFFICE for role, *_rest in roles):
        # The city office reads every district and leaves operations to them (its city defaults are
        # changed through their own services, not through the scope).
        return Scope(everything=True, can_change=False)
    office_districts = {d for role, _c, _s, d, _cd, _sd in roles if role == Role.DISTRICT_OFFICE}
    community_ids = {c for role, c, _s, _d, _cd, _sd in roles if role == Role.COMMUNITY_STAFF}
    street_ids = {s for role, _c, s, _d, _cd, _sd in roles if role == Role.STREET_STAFF}
    district_ids = office_districts | {cd or sd for _r, _c, _s, _d, cd, sd in roles if cd or sd}
    if street_ids or office_districts:
        rows = Community.objects.filter(
            Q(street_id__in=street_ids) | Q(street__district_id__in=office_districts)
        ).values_list("id", "street_id", "street__district_id")
        for community_id, street_id, district_id in rows:
            community_ids.add(community_id)
            if district_id in office_districts:
                street_ids.add(street_id)
    if office_districts:
        # The district office reads its districts and leaves operations to their streets and communities,
        # even where the same person also holds a community or street role there.
        return Scope(
            everything=False,
            can_change=False,
            community_ids=frozenset(community_ids),
            street_ids=frozenset(street_ids),
            district_ids=frozenset(district_ids),
            district_wide=True,
        )
    return Scope(
        everything=False,
        can_change=bool(community_ids),
        community_ids=frozenset(community_ids),
        street_ids=frozenset(street_ids),
        district_ids=frozenset(district_ids),
    )


def require_change(actor: User, community_id: int | None, *, elsewhere: str) -> None:
    """Raise ScopeError unless `actor` may change the data of community `community_id`.

    Two different refusals: the district office sees the row but reads only; anyone else is outside the
    row's community (`elsewhere`, the caller's message naming what belongs to another community).
    """
    scope = scope_for(actor)
    if scope.can_change_community(community_id):
        return
    if scope.covers(community_id) and not scope.can_change:
        raise ScopeError(
            _("The district office reads only: the staff of the community or street make this change."),
            code="read_only",
        )
    raise ScopeError(elsewhere, code="scope")
