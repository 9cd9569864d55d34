"""Who may call what. Object-level access is not here: every view filters its queryset by scope."""

from rest_framework.permissions import IsAuthenticated

from accounts.selectors import scope_for


class IsStaffInScope(IsAuthenticated):
    """Staff of a community or street, the district office, or a superuser: someone with a scope."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and not scope_for(request.user).is_empty


class IsDistrictOffice(IsAuthenticated):
    """The district office (or a superuser): reads the whole district."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and scope_for(request.user).everything
