"""Reads about users, roles and the organisation tree; above all, a staff member's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from community_college.errors import ScopeError

from .enums import Role
from .models import Community, RoleAssignment, User


@dataclass(frozen=True)
class Scope:
    """Which communities a user acts on, and whether they may change operational data there."""

    everything: bool = False
    can_change: bool = False
    community_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.community_ids

    def filter(self, queryset: QuerySet, community_path: str = "community") -> QuerySet:
        """Narrow `queryset` to this scope; `community_path` leads from the model to its Community."""
        if self.everything:
            return queryset
        if not self.community_ids:
            return queryset.none()
        lookup = "pk__in" if community_path == "" else f"{community_path}__in"
        return queryset.filter(**{lookup: self.community_ids})

    def covers(self, community_id: int | None) -> bool:
        return self.everything or (community_id is not None and community_id in self.community_ids)

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
            user=user, role__in=[Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_OFFICE, Role.CITY_OFFICE]
        ).values_list("role", "community_id", "street_id")
    )
    if any(role in (Role.DISTRICT_OFFICE, Role.CITY_OFFICE) for role, _c, _s in roles):
        # The district office reads everything and leaves operations to streets and communities.
        return Scope(everything=True, can_change=False)
    community_ids = {c for role, c, _s in roles if role == Role.COMMUNITY_STAFF}
    street_ids = {s for role, _c, s in roles if role == Role.STREET_STAFF}
    if street_ids:
        community_ids |= set(Community.objects.filter(street_id__in=street_ids).values_list("id", flat=True))
    return Scope(
        everything=False,
        can_change=bool(community_ids),
        community_ids=frozenset(community_ids),
        street_ids=frozenset(street_ids),
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
