"""The teacher pool (师资库) in the staff admin.

The pool is shared district-wide: every staff member reads every teacher, so a community can find a
teacher from the next community for its class. A teacher is changed by staff of their home community; a
teacher with no home community (a university lecturer, an association) by the district's superusers.
"""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from accounts.models import mask_phone

from .models import Teacher, TeacherAvailability, TeacherSkill


class TeacherSkillInline(ScopedInlineMixin, admin.TabularInline):
    model = TeacherSkill
    extra = 0
    autocomplete_fields = ("category",)


class TeacherAvailabilityInline(ScopedInlineMixin, admin.TabularInline):
    model = TeacherAvailability
    extra = 0


@admin.register(Teacher)
class TeacherAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    shared_read = True
    list_display = ("name", "masked_phone", "source", "kind", "community", "max_weekly_sessions", "is_active")
    list_select_related = ("community",)
    list_filter = ("kind", "source", "is_active", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("name", "skills__category__name", "skills__category__pinyin")
    autocomplete_fields = ("user", "recommended_by")
    ordering = ("name",)
    readonly_fields = ("created",)
    fieldsets = (
        (None, {"fields": ("name", "phone", "user", "community", "source", "kind", "bio", "is_active")}),
        (_("Load and reach"), {"fields": ("max_weekly_sessions", "max_travel_km", "latitude", "longitude")}),
        (_("Recommendation"), {"fields": ("recommended_by", "created")}),
    )
    inlines = [TeacherSkillInline, TeacherAvailabilityInline]

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Another community's teacher: readable, but the mobile number stays with their own community.
        return [
            (name, {**opts, "fields": tuple("masked_phone" if f == "phone" else f for f in opts["fields"])})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "masked_phone")


@admin.register(TeacherSkill)
class TeacherSkillAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "teacher__community"
    shared_read = True
    list_display = ("teacher", "category", "level")
    list_select_related = ("teacher", "category")
    list_filter = ("level", ("category", RelatedOnlyFieldListFilter))
    search_fields = ("teacher__name", "category__name", "category__pinyin")
    autocomplete_fields = ("teacher", "category")
    ordering = ("teacher__name", "category__name")


@admin.register(TeacherAvailability)
class TeacherAvailabilityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "teacher__community"
    shared_read = True
    list_display = ("teacher", "weekday", "start", "end")
    list_select_related = ("teacher",)
    list_filter = ("weekday",)
    search_fields = ("teacher__name",)
    autocomplete_fields = ("teacher",)
    ordering = ("teacher__name", "weekday", "start")
