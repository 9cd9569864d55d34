"""The published star standard in the staff admin: the district edits drafts and publishes them.

Every staff member with a scope reads the standards (the standard is public to the colleges it rates);
the district office and superusers add, edit and publish drafts. A published standard is read-only: a
change is a new version ("Copy as a new draft", edit, "Publish"), effective from a later month, so the
records already computed stay explained by the standard they name.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scoping import run_service_action
from accounts.selectors import scope_for
from ratings import stars

from . import services
from .models import StandardIndicator, StarStandard


def _is_district(user) -> bool:
    # The star standard is still one for the whole deployment: district offices (and the city office, whose
    # default it is) edit its drafts. Per-district versions of it come with the city defaults (issue 18).
    return user.is_active and user.is_staff and scope_for(user).reads_districts


def _may_edit(request, obj) -> bool:
    return _is_district(request.user) and (obj is None or not obj.is_published)


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
    list_display = ("name", "effective_from", "thresholds_shown", "published_at")
    list_filter = (("published_at", admin.EmptyFieldListFilter),)
    ordering = ("-effective_from", "-published_at")
    fields = (
        "name",
        "effective_from",
        ("two_stars", "three_stars", "four_stars", "five_stars"),
        "note",
        "published_at",
        "published_by",
        "created",
    )
    readonly_fields = ("published_at", "published_by", "created")
    inlines = [StandardIndicatorInline]
    actions = ["publish", "copy_as_draft"]

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
            lambda standard: services.star_standard_copy(standard=standard),
            done=lambda n: ngettext("%(count)d draft made.", "%(count)d drafts made.", n) % {"count": n},
        )
