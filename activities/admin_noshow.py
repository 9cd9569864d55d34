"""Staff admin of certificates, reconfirmations, the no-show rule, priority passes and volunteer hours.

Certificates, reconfirmation requests and priority passes are read here, never edited: services make them
(a pass is granted by a recognition's honours, `ratings.recognition.services.priority_pass_claim`). The no-show rule
is lifted and volunteer hours confirmed by actions that call their services; volunteer hours are added
through the add form, which calls `volunteer_shift_record`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import ReadOnlyAdminMixin, ScopedAdminMixin, run_service_action

from . import noshow, volunteering
from .models import Certificate, NoShowRule, PriorityPass, Reconfirmation, VolunteerShift


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    # Residents' certificates, by their home community; certificates of people without a resident profile
    # (teachers, volunteers) are read by the district office and superusers.
    community_path = "holder__profile__community"
    list_display = ("code", "kind", "holder_name", "title", "course_title", "hours", "issued_at")
    list_select_related = ("holder",)
    list_filter = ("kind",)
    search_fields = ("=code", "holder_name", "course_title")
    ordering = ("-issued_at", "-id")
    date_hierarchy = "issued_at"
    show_full_result_count = False
    fields = (
        "kind",
        "code",
        "holder",
        "holder_name",
        "title",
        "college_name",
        "course_title",
        "teacher_name",
        "hours",
        "period_start",
        "period_end",
        "issued_at",
        "subject",
        "course",
        "term",
    )
    readonly_fields = fields


@admin.register(Reconfirmation)
class ReconfirmationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    list_display = ("resident", "session", "reason", "status", "asked_at", "deadline", "answered_at")
    list_select_related = ("resident", "session__course")
    list_filter = ("status", "reason", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("resident__name", "session__course__title")
    ordering = ("-asked_at", "-id")
    date_hierarchy = "asked_at"
    show_full_result_count = False
    fields = (
        "registration",
        "session",
        "resident",
        "reason",
        "status",
        "asked_at",
        "deadline",
        "answered_at",
    )
    readonly_fields = fields


@admin.register(PriorityPass)
class PriorityPassAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    # By the class's community: that is where the pass lets its holder register early.
    community_path = "course__community"
    list_display = ("holder", "course", "days_early", "reason", "created")
    list_select_related = ("holder", "course")
    list_filter = (("course__community", RelatedOnlyFieldListFilter),)
    search_fields = ("holder__name", "course__title", "reason")
    ordering = ("-created", "-id")
    date_hierarchy = "created"
    show_full_result_count = False
    fields = ("holder", "course", "days_early", "reason", "created")
    readonly_fields = fields


class LiftForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=200, required=False)


@admin.register(NoShowRule)
class NoShowRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "community"
    list_display = ("resident", "term", "community", "absences", "imposed_at", "lifted_at", "lifted_by")
    list_select_related = ("resident", "term", "community", "lifted_by")
    list_filter = ("term", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("resident__name",)
    ordering = ("-imposed_at", "-id")
    show_full_result_count = False
    action_form = LiftForm
    actions = ["lift_rules"]
    fields = (
        "resident",
        "term",
        "community",
        "absences",
        "imposed_at",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Lift the rule for the selected residents"), permissions=["change"]
    )
    def lift_rules(self, request, queryset):
        reason = request.POST.get("reason", "")
        run_service_action(
            self,
            request,
            queryset,
            lambda rule: noshow.noshow_rule_lift(rule=rule, actor=request.user, reason=reason),
            done=lambda n: ngettext("%(count)d rule lifted.", "%(count)d rules lifted.", n) % {"count": n},
        )


@admin.register(VolunteerShift)
class VolunteerShiftAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    add_fields = ("session", "volunteer", "hours", "task")
    list_display = ("volunteer", "session", "hours", "task", "status", "recorded_by", "decided_by")
    list_select_related = ("volunteer", "session__course", "recorded_by", "decided_by")
    list_filter = ("status", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("volunteer__name", "session__course__title")
    autocomplete_fields = ("session", "volunteer")
    ordering = ("-recorded_at", "-id")
    show_full_result_count = False
    actions = ["confirm_shifts", "reject_shifts"]
    fields = (
        "session",
        "volunteer",
        "hours",
        "task",
        "status",
        "recorded_by",
        "recorded_at",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = form.cleaned_data
        return volunteering.volunteer_shift_record(
            session=data["session"],
            volunteer=data["volunteer"],
            actor=request.user,
            hours=data.get("hours"),
            task=data.get("task") or "",
        )

    @admin.action(description=gettext_lazy("Confirm the selected volunteer hours"), permissions=["change"])
    def confirm_shifts(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda shift: volunteering.volunteer_shift_decide(shift=shift, actor=request.user, confirm=True),
            done=lambda n: (
                ngettext("%(count)d record confirmed.", "%(count)d records confirmed.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Refuse the selected volunteer hours"), permissions=["change"])
    def reject_shifts(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda shift: volunteering.volunteer_shift_decide(shift=shift, actor=request.user, confirm=False),
            done=lambda n: (
                ngettext("%(count)d record refused.", "%(count)d records refused.", n) % {"count": n}
            ),
        )
