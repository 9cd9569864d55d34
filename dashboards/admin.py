"""The published star standard in the staff admin: the city's default and the districts' own versions.

Every staff member with a scope reads the standards (the standard is public to the colleges it rates);
the city office (and superusers) add, edit and publish the city's default; a district office adopts the
default as its own version, and adds, edits and publishes drafts of its own district only. A published standard is read-only: a
change is a new version ("Copy as a new draft", edit, "Publish"), effective from a later month, so the
records already computed stay explained by the standard they name.
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scoping import run_service_action
from accounts.offices import is_city_office, office_district_ids
from accounts.selectors import scope_for
from ratings import stars

from . import services
from .models import StandardIndicator, StarStandard


def _is_district(user) -> bool:
    """A writer of some standard: the city office (the default) or a district office (its own)."""
    return user.is_active and user.is_staff and (is_city_office(user) or bool(office_district_ids(user)))


def _may_write_standard(user, district_id: int | None) -> bool:
    if district_id is None:
        return is_city_office(user)
    return user.is_superuser or district_id in office_district_ids(user)


def _may_edit(request, obj) -> bool:
    if not _is_district(request.user):
        return False
    return obj is None or (not obj.is_published and _may_write_standard(request.user, obj.district_id))


class StandardIndicatorInline(admin.TabularInline):
    model = StandardIndicator
    fields = ("code", "weight", "worst", "best")
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        # A new standard starts with every indicator of the catalogue, at the default weights and anchors.
        return len(stars.INDICATORS) if obj is None else 0

    def get_max_num(self, request, obj=None, **kwargs):
        return len(stars.INDICATORS)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and not scope_for(request.user).is_empty

    def has_add_permission(self, request, obj=None):
        return _may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return _may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _may_edit(request, obj)


@admin.register(StarStandard)
class StarStandardAdmin(admin.ModelAdmin):
    list_display = ("name", "district_shown", "origin", "effective_from", "thresholds_shown", "published_at")
    list_select_related = ("district", "origin")
    list_filter = (("published_at", admin.EmptyFieldListFilter), ("district", admin.EmptyFieldListFilter))
    ordering = ("-effective_from", "-published_at")
    fields = (
        "name",
        "effective_from",
        ("two_stars", "three_stars", "four_stars", "five_stars"),
        "note",
        "district",
        "origin",
        "published_at",
        "published_by",
        "created",
    )
    readonly_fields = ("district", "origin", "published_at", "published_by", "created")
    inlines = [StandardIndicatorInline]
    actions = ["publish", "copy_as_draft", "adopt_into_my_district"]

    @admin.display(description=_("district"), ordering="district__name")
    def district_shown(self, obj):
        return obj.district or _("City default")

    def save_model(self, request, obj, form, change):
        if not change:
            # A new standard is the city's default when the city office writes it, else the district's own.
            mine = office_district_ids(request.user)
            obj.district_id = None if is_city_office(request.user) or not mine else min(mine)
        super().save_model(request, obj, form, change)

    def _target_district(self, request, standard):
        """Where a copy goes: a district office copying the city's default adapts it into its own district."""
        mine = office_district_ids(request.user)
        if standard.district_id is None and not is_city_office(request.user) and mine:
            return min(mine)
        return standard.district_id

    @admin.display(description=_("scores for 2 / 3 / 4 / 5 stars"))
    def thresholds_shown(self, obj):
        return " / ".join(f"{t:g}" for t in obj.thresholds)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk is None and request.method == "GET" and isinstance(inline, StandardIndicatorInline):
            kwargs["initial"] = [
                {"code": spec.code, "weight": spec.weight, "worst": spec.worst, "best": spec.best} for spec in stars.INDICATORS
            ]
        return kwargs

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        two, three, four, five = stars.DEFAULT_THRESHOLDS
        return {"two_stars": two, "three_stars": three, "four_stars": four, "five_stars": five, **initial}

    def get_queryset(self, request):
        # The city's defaults for everyone; a district's own versions for its office and its staff only.
        queryset = super().get_queryset(request)
        user = request.user
        if is_city_office(user):
            return queryset
        scope = scope_for(user)
        mine = office_district_ids(user)
        if scope.everything and not mine:
            return queryset
        visible = Q(district__isnull=True) | Q(district_id__in=mine)
        if scope.community_ids:
            visible |= Q(district__streets__communities__in=scope.community_ids)
        return queryset.filter(visible).distinct()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return (*self.readonly_fields, "name", "effective_from", "two_stars", "three_stars", "four_stars",
                    "five_stars", "note")
        return self.readonly_fields

    # --- permissions: read for staff with a scope, write for the district, drafts only --------------------------
    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and not scope_for(request.user).is_empty

    def has_add_permission(self, request):
        return _is_district(request.user)

    def has_change_permission(self, request, obj=None):
        return _may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _may_edit(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not _is_district(request.user):
            return {}
        return actions

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda standard: services.star_standard_publish(standard=standard, user=request.user),
            done=lambda n: ngettext("%(count)d standard published.", "%(count)d standards published.", n) % {"count": n},
        )

    @admin.action(description=_("Copy as a new draft"))
    def copy_as_draft(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda standard: services.star_standard_copy(
                standard=standard, user=request.user, district_id=self._target_district(request, standard)
            ),
            done=lambda n: ngettext("%(count)d draft made.", "%(count)d drafts made.", n) % {"count": n},
        )

    @admin.action(description=_("Adopt the city default as my district's version"))
    def adopt_into_my_district(self, request, queryset):
        mine = sorted(office_district_ids(request.user))
        if not mine:
            self.message_user(request, _("Only a district office adopts the city's default."), messages.ERROR)
            return
        run_service_action(
            self,
            request,
            queryset,
            lambda standard: services.star_standard_adopt(standard=standard, district_id=mine[0], user=request.user),
            done=lambda n: ngettext("%(count)d standard adopted.", "%(count)d standards adopted.", n) % {"count": n},
        )
