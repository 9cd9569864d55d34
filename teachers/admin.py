"""The teacher pool (师资库) in the staff admin.

The pool is shared district-wide: every staff member reads every teacher, so a community can find a
teacher from the next community for its class. A teacher is changed by staff of their home community; a
teacher with no home community (a university lecturer, an association) by the district's superusers.

The list shows each teacher's skills, weekly free times, sessions this week against their maximum and
average rating in a fixed number of queries (two prefetches, two correlated subqueries). Residents'
recommendations of new teachers arrive as a review queue; approving one creates the teacher
(`teachers.services.teacher_recommendation_approve`).
"""


from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ActionForm
from django.db.models import Prefetch
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import ScopedAdminMixin, ScopedInlineMixin, run_service_action
from accounts.models import mask_phone
from accounts.resources import ScopedImportExportMixin
from activities.selectors import teacher_sessions_this_week
from ratings import scores

from . import services
from .models import Teacher, TeacherAvailability, TeacherRecommendation, TeacherSkill
from .resources import TeacherResource


class TeacherSkillInline(ScopedInlineMixin, admin.TabularInline):
    model = TeacherSkill
    extra = 0
    autocomplete_fields = ("category",)


class TeacherAvailabilityInline(ScopedInlineMixin, admin.TabularInline):
    model = TeacherAvailability
    extra = 0


def _first_few(items: list[str], *, separator: str, shown: int = 3):
    """A long list as one short line, the rest as "+N" with the whole list on hover: a teacher with
    twelve free times made each row 250 px tall and the pool 11,000 px long at 1366 px."""
    if len(items) <= shown:
        return separator.join(items)
    return format_html(
        '<span title="{}">{}{} <span class="more">+{}</span></span>',
        separator.join(items),
        separator.join(items[:shown]),
        separator,
        len(items) - shown,
    )


@admin.register(Teacher)
class TeacherAdmin(ScopedAdminMixin, ScopedImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [TeacherResource]
    shared_read = True
    district_path = ("community__street__district", "district")
    list_display = (
        "name",
        "masked_phone",
        "skill_list",
        "free_times",
        "load_this_week",
        "average_rating",
        "source",
        "kind",
        "community",
        "is_active",
    )
    list_select_related = ("community",)
    list_filter = ("kind", "source", "is_active", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("name", "skills__category__name", "skills__category__pinyin")
    autocomplete_fields = ("user", "recommended_by")
    ordering = ("name",)
    readonly_fields = ("created",)
    fieldsets = (
        (None, {"fields": ("name", "phone", "user", "community", "district", "source", "kind", "bio", "is_active")}),
        (
            _("Load and reach"),
            {
                "fields": (
                    "max_weekly_sessions",
                    "max_travel_km",
                    "serves_neighbouring_districts",
                    "latitude",
                    "longitude",
                )
            },
        ),
        (_("Recommendation"), {"fields": ("recommended_by", "created")}),
    )
    inlines = [TeacherSkillInline, TeacherAvailabilityInline]

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _sessions_this_week=teacher_sessions_this_week(),
                # The one teacher score (recency-weighted, shown from the minimum count), as residents see it.
                _average_rating=scores.teacher_score_subquery(),
            )
            .prefetch_related(
                Prefetch("skills", queryset=TeacherSkill.objects.select_related("category").order_by("category__name")),
                "availability",
            )
        )

    @admin.display(description=_("skills"))
    def skill_list(self, obj):
        return _first_few([skill.category.name for skill in obj.skills.all()], separator="、")

    @admin.display(description=_("free times"))
    def free_times(self, obj):
        return _first_few([str(window) for window in obj.availability.all()], separator="; ", shown=2)

    @admin.display(description=_("sessions this week / most"), ordering="_sessions_this_week")
    def load_this_week(self, obj):
        return f"{obj._sessions_this_week} / {obj.max_weekly_sessions}"

    @admin.display(description=_("average rating"), ordering="_average_rating")
    def average_rating(self, obj):
        return "—" if obj._average_rating is None else f"{obj._average_rating:.1f}★"

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
    district_path = ("teacher__community__street__district", "teacher__district")
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
    district_path = ("teacher__community__street__district", "teacher__district")
    list_display = ("teacher", "weekday", "start", "end")
    list_select_related = ("teacher",)
    list_filter = ("weekday",)
    search_fields = ("teacher__name",)
    autocomplete_fields = ("teacher",)
    ordering = ("teacher__name", "weekday", "start")


class RecommendationActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        required=False,
        max_length=300,
        help_text=_("Required to reject: the resident who recommended reads it."),
    )


@admin.register(TeacherRecommendation)
class TeacherRecommendationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The review queue of residents' recommendations, oldest first; decisions go through the services."""

    staff_may_delete = False
    list_display = ("name", "masked_phone", "category_list", "recommended_by", "community", "status", "created")
    list_select_related = ("recommended_by", "community")
    list_filter = ("status", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("name", "note", "recommended_by__name")
    ordering = ("created", "id")
    action_form = RecommendationActionForm
    actions = ["approve_recommendations", "reject_recommendations"]
    fields = (
        "name", "masked_phone", "categories", "note", "recommended_by", "community", "status",
        "reject_reason", "teacher", "decided_by", "decided_at", "created",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    def has_add_permission(self, request):
        # Residents recommend through the portal (`teacher_recommendation_submit`).
        return False

    def get_fields(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            return tuple("phone" if f == "masked_phone" else f for f in self.fields)
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("can teach"))
    def category_list(self, obj):
        return ", ".join(category.name for category in obj.categories.all())

    @admin.action(description=_("Approve: add the selected teachers to the pool"), permissions=["change"])
    def approve_recommendations(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda rec: services.teacher_recommendation_approve(recommendation=rec, actor=request.user),
            done=lambda n: ngettext(
                "%(count)d teacher added to the pool.", "%(count)d teachers added to the pool.", n
            ) % {"count": n},
        )

    @admin.action(description=_("Reject the selected recommendations (give a reason)"), permissions=["change"])
    def reject_recommendations(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request, gettext("Write the reason for the rejection next to the action."), messages.ERROR
            )
            return
        run_service_action(
            self,
            request,
            queryset,
            lambda rec: services.teacher_recommendation_reject(recommendation=rec, actor=request.user, reason=reason),
            done=lambda n: ngettext(
                "%(count)d recommendation rejected.", "%(count)d recommendations rejected.", n
            ) % {"count": n},
        )
