"""Who may call what. Object-level access is not here: every view filters its queryset by scope."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated

from accounts.selectors import scope_for


class IsStaffInScope(IsAuthenticated):
    """Staff of a community or street, the district office, or a superuser: someone with a scope."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and not scope_for(request.user).is_empty


class IsStaffWhoChanges(IsStaffInScope):
    """Staff who may change operational data in their scope: not the district office, which reads only."""

    message = _("Your role reads the data of its scope but does not change it.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and scope_for(request.user).can_change
