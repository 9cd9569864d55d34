"""Users, the organisation tree and role assignments in the staff admin.

Community and street staff see the residents whose home community is in their scope and may correct their
details; granting roles and changing the tree, the colleges' star levels and passwords is for superusers.
"""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from .models import (
    ApiToken,
    City,
    College,
    Community,
    Department,
    District,
    Grid,
    RoleAssignment,
    Street,
    User,
    mask_phone,
)
from .resources import ResidentResource, ScopedImportExportMixin
from .selectors import scope_for


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "email", "name")
        field_classes: dict = {}


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: dict = {}


@admin.register(User)
class UserAdmin(ScopedAdminMixin, ScopedImportExportMixin, DjangoUserAdmin):
    # Staff reach a user through their resident profile; staff accounts themselves have none.
    community_path = "profile__community"
    # Residents come in from a sheet row by row through `resident_register`; see `ResidentResource`.
    resource_classes = [ResidentResource]
    staff_may_delete = False
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Personal info"), {"fields": ("name", "email", "language", "birth_year", "phone_verified")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "registered_by")}),
    )
    # What community and street staff may see and correct of a resident of their scope.
    staff_fieldsets = (
        (None, {"fields": ("phone", "name", "email", "language", "birth_year")}),
        (
            _("Account"),
            {"fields": ("is_active", "phone_verified", "last_login", "date_joined", "registered_by")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("name", "masked_phone", "home_community", "is_active", "is_staff", "date_joined")
    list_select_related = ("profile__community",)
    list_filter = ("is_staff", "is_active", "is_superuser", "profile__community__street")
    search_fields = ("name", "phone", "email")
    ordering = ("-date_joined",)
    readonly_fields = ("last_login", "date_joined", "registered_by")
    filter_horizontal = ("groups", "user_permissions")
    # 250,000 residents: counting them all again for every page is wasted work.
    show_full_result_count = False

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("home community"), ordering="profile__community__name")
    def home_community(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.community if profile else "—"

    def has_add_permission(self, request):
        # Staff register a caller through the resident-registration service (name, phone, community), not here.
        return request.user.is_superuser and super().has_add_permission(request)

    def has_import_permission(self, request):
        # A sheet registers residents through the same service as the desk: open to whoever changes residents.
        return request.user.is_superuser or (
            self.has_view_permission(request) and scope_for(request.user).can_change
        )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            if self.has_change_permission(request, obj):
                return self.staff_fieldsets
            # Read-only viewers (the district office) see the number masked: the full number is for the
            # resident's own community and street, who call them back.
            return [
                (
                    name,
                    {**opts, "fields": tuple("masked_phone" if f == "phone" else f for f in opts["fields"])},
                )
                for name, opts in self.staff_fieldsets
            ]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["phone_verified", "masked_phone"]
        return fields

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return ("is_active", ("profile__community__street", RelatedOnlyFieldListFilter))

    def user_change_password(self, request, id, form_url=""):
        # Residents reset their own password by SMS; setting one for them is not a desk service.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(City)
class CityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The city above the districts: read by every staff member, changed by superusers only."""

    community_path = None
    list_display = ("name", "code", "latitude", "longitude")
    search_fields = ("name", "code")
    ordering = ("name",)


@admin.register(District)
class DistrictAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    district_path = ""
    list_display = ("name", "code", "city", "latitude", "longitude")
    list_select_related = ("city",)
    search_fields = ("name", "code")
    ordering = ("name",)


@admin.register(Street)
class StreetAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # The names of streets are public reference data; what happens in them is scoped through communities.
    community_path = None
    district_path = "district"
    list_display = ("name", "code", "district")
    list_select_related = ("district",)
    list_filter = (("district", RelatedOnlyFieldListFilter),)
    search_fields = ("name", "code")
    ordering = ("name",)


class GridInline(ScopedInlineMixin, admin.TabularInline):
    model = Grid
    extra = 0


@admin.register(Community)
class CommunityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = ""
    district_managed = True
    list_display = ("name", "code", "street", "population")
    list_select_related = ("street",)
    list_filter = (("street", RelatedOnlyFieldListFilter),)
    search_fields = ("name", "code", "street__name")
    ordering = ("name",)
    inlines = [GridInline]


@admin.register(Grid)
class GridAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community")
    list_select_related = ("community",)
    list_filter = (("community", RelatedOnlyFieldListFilter),)
    search_fields = ("name", "community__name")
    ordering = ("community__name", "name")


@admin.register(College)
class CollegeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # The star level is the district's rating of the college, not the college's own claim.
    district_managed = True
    list_display = ("name", "community", "stars", "founded")
    list_select_related = ("community",)
    list_filter = ("stars", ("community__street", RelatedOnlyFieldListFilter))
    search_fields = ("name", "community__name")
    ordering = ("name",)


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    district_path = "district"
    list_display = ("name", "kind", "district")
    list_select_related = ("district",)
    list_filter = ("kind",)
    search_fields = ("name",)
    ordering = ("name",)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # Staff see the assignments bound to their own nodes; granting a role is for superusers.
    district_managed = True
    list_display = ("user", "role", "community", "street", "district", "city", "department", "created")
    list_select_related = ("user", "community", "street", "district", "city", "department")
    list_filter = ("role",)
    search_fields = ("user__name", "user__phone", "community__name", "street__name")
    autocomplete_fields = ("user",)
    ordering = ("role", "user__name")
    readonly_fields = ("created",)
    # Granted through `services.role_assign`, which also opens the admin to the roles that work there;
    # an assignment is not edited in place (revoke it and grant another).
    add_fields = ("user", "role", "community", "street", "district", "city", "department")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.add_fields, "created")

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = form.cleaned_data
        return services.role_assign(
            user=data["user"],
            role=data["role"],
            **{name: data.get(name) for name in ("community", "street", "district", "city", "department")},
        )

    def filter_by_scope(self, queryset, scope):
        if scope.everything:
            return queryset
        mine = Q(community__in=scope.community_ids) | Q(street__in=scope.street_ids)
        if scope.district_wide:
            # The district office also reads its own office's assignments and its departments' liaisons.
            mine |= Q(district__in=scope.district_ids) | Q(department__district__in=scope.district_ids)
        return queryset.filter(mine)

    def object_in_scope(self, scope, obj):
        if scope.everything or obj.community_id in scope.community_ids or obj.street_id in scope.street_ids:
            return True
        return scope.district_wide and (
            obj.district_id in scope.district_ids
            or (obj.department_id is not None and obj.department.district_id in scope.district_ids)
        )


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Residents' app tokens: staff see only names and prefixes, and may revoke one for a lost phone."""

    community_path = "user__profile__community"
    list_display = ("name", "user", "prefix", "created", "last_used")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__name")
    readonly_fields = ("user", "name", "prefix", "created", "last_used")
    ordering = ("-created",)

    def has_add_permission(self, request):
        # A token's secret is shown once to its owner, through the API; nobody makes one for someone else.
        return False
