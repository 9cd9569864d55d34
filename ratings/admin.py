"""Residents' ratings of sessions and the colleges' star records in the staff admin.

A rating is the resident's own word: staff of the session's community may hide it (moderation) but not
edit it. Star records are computed by the district and are read-only except for superusers.
"""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _

from accounts.admin_scoping import ScopedAdminMixin

from .models import CollegeStarRecord, SessionRating


@admin.register(SessionRating)
class SessionRatingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    staff_may_delete = False
    list_display = ("stars", "short_comment", "session", "teacher", "resident", "is_hidden", "created")
    list_select_related = ("session__course", "teacher", "resident")
    list_filter = ("stars", "is_hidden", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("comment", "teacher__name", "session__course__title")
    ordering = ("-created",)
    date_hierarchy = "created"
    show_full_result_count = False
    fields = ("session", "resident", "teacher", "stars", "comment", "is_hidden", "created", "updated")
    readonly_fields = ("session", "resident", "teacher", "stars", "comment", "created", "updated")

    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return obj.comment if len(obj.comment) <= 40 else f"{obj.comment[:40]}…"

    def has_add_permission(self, request):
        # Residents rate sessions they attended, through the rating service; nobody rates on their behalf.
        return False


@admin.register(CollegeStarRecord)
class CollegeStarRecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    district_managed = True
    list_display = ("college", "period", "stars", "score", "computed_at")
    list_select_related = ("college",)
    list_filter = ("stars", ("college__community__street", admin.RelatedFieldListFilter))
    search_fields = ("college__name",)
    ordering = ("college__name", "-period")
    date_hierarchy = "period"
    readonly_fields = ("computed_at",)
