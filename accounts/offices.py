"""Which district or city office a user holds: the writers of what districts share (issue 18, 全市共享).

Scope (`accounts.selectors.scope_for`) answers "which communities may this user read or change"; sharing
asks a different question, "on behalf of which district (or the city) does this user publish, adopt or
copy", so it reads the role assignments directly.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from community_college.errors import ScopeError

from .enums import Role
from .models import RoleAssignment
from .selectors import scope_for


def _may_hold_office(user) -> bool:
    """Whether `user` can hold an office at all, from the scope already computed for the request: offices read
    everything or read only, while community and street staff change their own communities. It spares the
    staff admin's every page a query for the many who hold no office (a member of community staff who also
    held a district office would be refused here and act through a second account)."""
    scope = scope_for(user)
    return scope.everything or (not scope.is_empty and not scope.can_change)


def office_district_ids(user) -> frozenset[int]:
    """The districts whose office `user` holds (cached on the user object for the request)."""
    cached = getattr(user, "_cc_office_districts", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active or not _may_hold_office(user):
        ids: frozenset[int] = frozenset()
    else:
        ids = frozenset(
            RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_OFFICE).values_list(
                "district_id", flat=True
            )
        )
    user._cc_office_districts = ids
    return ids


def is_city_office(user) -> bool:
    """The city office (or a superuser): the only writer of the city's defaults."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_cc_city_office", None)
    scope = getattr(user, "_cc_scope", None)  # already computed for this request, if at all
    if cached is None and scope is not None and not scope.everything:
        cached = False  # the city office reads every district
    if cached is None:
        cached = RoleAssignment.objects.filter(user=user, role=Role.CITY_OFFICE).exists()
        user._cc_city_office = cached
    return cached


def require_district_office(user, district_id: int) -> None:
    """Raise ScopeError unless `user` acts for district `district_id` (its office, or a superuser)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return
    if district_id not in office_district_ids(user):
        raise ScopeError(_("Only the office of that district may do this."), code="scope")


def require_city_office(user) -> None:
    if not is_city_office(user):
        raise ScopeError(_("Only the city office changes the city's defaults."), code="scope")
