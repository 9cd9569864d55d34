"""协商议事 in the staff admin: the matter inbox of my scope, meetings, decisions, comments and photos.

Everything that carries a rule (status, deadlines, level, department, counters, the timeline) is read-only
here and moves through `consultation.services`, called by the actions (one transaction per row). The action
bar carries the text an action needs (the answer, the department, the agenda …). Staff enter a matter for a
resident who called or came to the desk through the add form (`matter_raise`).

A department liaison is staff without a community scope: they see only the matters referred to their
department and the decisions it owns, and answer or report progress through the same actions.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import ReadOnlyInlineMixin, ScopedAdminMixin, run_service_action
from accounts.models import Department, mask_phone
from accounts.selectors import scope_for

from . import selectors, services
from .enums import Channel
from .export import matters_workbook
from .models import (
    Comment,
    Decision,
    DecisionUpdate,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterPhoto,
    Meeting,
    Participant,
    WorkdayException,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin.register(MatterCategory)
class MatterCategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # One tree for the district, so the dashboards compare communities; the district configures it.
    community_path = None
    list_display = ("name", "parent", "sort_order", "is_active")
    list_select_related = ("parent",)
    search_fields = ("name",)
    ordering = ("parent__name", "sort_order", "name")


@admin.register(WorkdayException)
class WorkdayExceptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    list_display = ("date", "is_working_day", "note")


class LiaisonAwareMixin(ScopedAdminMixin):
    """Community scope as usual, plus a liaison's department: `department_path` leads to the Department."""

    department_path = "department"

    def filter_by_scope(self, queryset, scope):
        return scope.filter(queryset, self.community_path)

    # Liaisons are staff without a community scope; the department is looked up only for them, so that
    # every other staff member's admin pages cost no extra query (the sidebar asks every admin).

    def _liaison_departments(self, request) -> frozenset[int]:
        if not request.user.is_staff or not scope_for(request.user).is_empty:
            return frozenset()
        return selectors.liaison_department_ids(request.user)

    def scoped(self, request, queryset=None):
        if queryset is None:
            queryset = self.model._default_manager.all()
        scope = scope_for(request.user)
        if scope.everything:
            return queryset
        departments = self._liaison_departments(request)
        if departments:
            return queryset.filter(**{f"{self.department_path}__in": departments})
        return scope.filter(queryset, self.community_path)

    def has_view_permission(self, request, obj=None):
        if self._liaison_departments(request):
            if obj is None:
                return True
            return getattr(obj, f"{self.department_path}_id") in selectors.liaison_department_ids(request.user) or (
                super().has_view_permission(request, obj)
            )
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return not scope_for(request.user).is_empty and super().has_add_permission(request)


class MatterActionForm(ActionForm):
    text = forms.CharField(
        label=gettext_lazy("Answer or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("Residents read it on the matter's timeline."),
    )
    department = forms.ModelChoiceField(label=gettext_lazy("Department"), queryset=Department.objects.all(), required=False)
    into = forms.IntegerField(label=gettext_lazy("Merge into matter number"), required=False, min_value=1)


class MatterEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MatterEvent
    fields = ("at", "kind", "actor", "note")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class MatterPhotoInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MatterPhoto
    fields = ("name", "status", "width", "height", "created")


class MatterAddForm(forms.ModelForm):
    class Meta:
        model = Matter
        fields = ("raised_by", "category", "title", "description", "show_name", "channel")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].initial = Channel.PHONE


class AddedByServiceMixin:
    """Admins whose rows a service makes (from `add_form`) and whose later steps are actions: the add form is
    the only one edited by hand; an existing row is read-only, without the inlines the service fills."""

    add_form = None

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        # A row typed in by hand has no timeline, photos or decisions yet: the service writes them.
        return [] if obj is None else self.inlines

    def has_change_permission(self, request, obj=None):
        # Nothing on the form is edited by hand; the actions change the row. Viewing stays open.
        return False if obj is not None else super().has_change_permission(request, obj)


@admin.register(Matter)
class MatterAdmin(AddedByServiceMixin, LiaisonAwareMixin, admin.ModelAdmin):
    staff_may_delete = False
    add_form = MatterAddForm
    add_fields = ("raised_by", "category", "title", "description", "show_name", "channel")
    list_display = (
        "id",
        "title",
        "community",
        "category",
        "raiser",
        "masked_phone",
        "status",
        "level",
        "due_at",
        "support_count",
        "raised_at",
    )
    list_display_links = ("id", "title")
    list_select_related = ("community", "category__parent", "raised_by")
    list_filter = ("status", "level", "channel", "category", "community")
    search_fields = ("=id", "title", "title_pinyin", "raised_by__name")
    ordering = ("due_at", "id")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    inlines = [MatterEventInline, MatterPhotoInline]
    action_form = MatterActionForm
    actions = [
        "answer_matters",
        "refer_matters",
        "merge_matters",
        "deliberate_matters",
        "department_answer",
        "export_xlsx",
    ]
    readonly_fields = (
        "community",
        "category",
        "title",
        "description",
        "raised_by",
        "show_name",
        "entered_by",
        "channel",
        "latitude",
        "longitude",
        "status",
        "outcome",
        "answer",
        "level",
        "due_at",
        "department",
        "merged_into",
        "support_count",
        "comment_count",
        "raised_at",
        "answered_at",
        "answered_on_time",
        "referred_at",
        "deliberation_at",
        "decided_at",
        "done_at",
        "closed_at",
        "escalated_at",
    )

    @admin.display(description=gettext_lazy("raised by"), ordering="raised_by__name")
    def raiser(self, obj):
        return obj.raised_by.name

    @admin.display(description=gettext_lazy("mobile number"))
    def masked_phone(self, obj):
        return mask_phone(obj.raised_by.phone)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "raised_by":
            field.queryset = scope_for(request.user).filter(
                field.queryset.model.objects.filter(profile__isnull=False), "profile__community"
            )
        elif db_field.name == "category":
            field.queryset = field.queryset.filter(children__isnull=True, is_active=True)
        return field

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.matter_raise(
            resident=data["raised_by"],
            category=data["category"],
            title=data["title"],
            description=data["description"],
            show_name=data.get("show_name", False),
            entered_by=request.user,
            channel=data.get("channel") or Channel.PHONE,
        )

    def _run(self, request, queryset, call, done):
        run_service_action(self, request, queryset, call, done=done)

    @admin.action(description=gettext_lazy("Answer and close (the text is the public answer)"))
    def answer_matters(self, request, queryset):
        text = request.POST.get("text", "")
        self._run(
            request,
            queryset,
            lambda m: services.matter_answer(matter=m, actor=request.user, answer=text),
            lambda n: ngettext("%(count)d matter answered.", "%(count)d matters answered.", n) % {"count": n},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # The departments to refer to are those of the user's own district.
        action_form = (getattr(response, "context_data", None) or {}).get("action_form")
        if action_form is not None:
            action_form.fields["department"].queryset = self._departments_for(request)
        return response

    def _departments_for(self, request):
        """The departments of the user's district(s): for a liaison, those beside their own department."""
        scope = scope_for(request.user)
        if scope.is_empty:
            mine = self._liaison_departments(request)
            return Department.objects.filter(district__departments__in=mine).distinct()
        return scope.filter_district(Department.objects.all())

    @admin.action(description=gettext_lazy("Refer to the chosen department"))
    def refer_matters(self, request, queryset):
        # Only a department of the user's own district: another district's is not there to refer to.
        department = self._departments_for(request).filter(pk=request.POST.get("department") or 0).first()
        if department is None:
            self.message_user(request, _("Choose a department."), level="error")
            return
        self._run(
            request,
            queryset,
            lambda m: services.matter_refer(matter=m, actor=request.user, department=department, note=request.POST.get("text", "")),
            lambda n: ngettext("%(count)d matter referred.", "%(count)d matters referred.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Merge into the matter with the given number"))
    def merge_matters(self, request, queryset):
        target = self.scoped(request).filter(pk=request.POST.get("into") or 0).first()
        if target is None:
            self.message_user(request, _("Give the number of an open matter of your scope."), level="error")
            return
        self._run(
            request,
            queryset,
            lambda m: services.matter_merge(matter=m, into=target, actor=request.user, note=request.POST.get("text", "")),
            lambda n: ngettext("%(count)d matter merged.", "%(count)d matters merged.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Take to deliberation (议事会)"))
    def deliberate_matters(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda m: services.matter_to_deliberation(matter=m, actor=request.user, note=request.POST.get("text", "")),
            lambda n: ngettext("%(count)d matter taken to deliberation.", "%(count)d matters taken to deliberation.", n)
            % {"count": n},
        )

    @admin.action(description=gettext_lazy("Answer for my department (liaisons)"))
    def department_answer(self, request, queryset):
        text = request.POST.get("text", "")
        self._run(
            request,
            queryset,
            lambda m: services.matter_department_answer(matter=m, actor=request.user, answer=text),
            lambda n: ngettext("%(count)d matter answered.", "%(count)d matters answered.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Export the selected matters (.xlsx)"))
    def export_xlsx(self, request, queryset):
        rows = queryset.select_related("community", "category__parent", "raised_by").order_by("raised_at", "id")
        response = HttpResponse(matters_workbook(rows), content_type=XLSX)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="matters-{stamp}.xlsx"'
        return response


@admin.register(Comment)
class CommentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "matter__community"
    staff_may_delete = False
    list_display = ("body", "matter", "author", "status", "report_count", "created")
    list_select_related = ("matter", "author")
    list_filter = ("status",)
    readonly_fields = ("matter", "author", "body", "status", "report_count", "hidden_at", "reviewed_at", "created")
    actions = ["keep_comments", "remove_comments"]

    def has_add_permission(self, request):
        return False

    def get_ordering(self, request):
        return ("-report_count", "-created")

    @admin.action(description=gettext_lazy("Keep (show again; reports no longer hide it)"))
    def keep_comments(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda c: services.comment_moderate(comment=c, actor=request.user, keep=True),
            done=lambda n: ngettext("%(count)d comment kept.", "%(count)d comments kept.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Remove (hidden from residents, kept on record)"))
    def remove_comments(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda c: services.comment_moderate(comment=c, actor=request.user, keep=False),
            done=lambda n: ngettext("%(count)d comment removed.", "%(count)d comments removed.", n) % {"count": n},
        )


@admin.register(MatterPhoto)
class MatterPhotoAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "matter__community"
    list_display = ("name", "matter", "status", "width", "height", "created")
    list_select_related = ("matter",)
    list_filter = ("status",)
    readonly_fields = ("matter", "name", "thumbnail", "content_type", "width", "height", "status", "uploaded_by", "created")
    actions = ["approve_photos", "reject_photos"]

    def has_add_permission(self, request):
        return False

    # Deleting goes through the service, so the stored files go with the row (on commit).
    def delete_model(self, request, obj):
        services.photo_delete(photo=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for photo in queryset:
            services.photo_delete(photo=photo, actor=request.user)

    @admin.action(description=gettext_lazy("Show to residents"))
    def approve_photos(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda p: services.photo_moderate(photo=p, actor=request.user, approve=True),
            done=lambda n: ngettext("%(count)d photo shown.", "%(count)d photos shown.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Reject"))
    def reject_photos(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda p: services.photo_moderate(photo=p, actor=request.user, approve=False),
            done=lambda n: ngettext("%(count)d photo rejected.", "%(count)d photos rejected.", n) % {"count": n},
        )


class MeetingActionForm(ActionForm):
    text = forms.CharField(
        label=gettext_lazy("Agenda or minutes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ParticipantInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Participant
    fields = ("user", "kind", "confirmed_at", "declined_at", "present_at")
    show_change_link = False


class DecisionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Decision
    fields = ("matter", "text", "owner_kind", "due_date", "status", "progress")


class MeetingAddForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ("community", "title", "session", "venue", "starts_at", "ends_at", "matters")
        help_texts = {"session": gettext_lazy("Held as this session of a class: its room and time, no booking.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("venue", "starts_at", "ends_at"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        data = super().clean()
        if not data.get("session") and not all(data.get(name) for name in ("venue", "starts_at", "ends_at")):
            raise forms.ValidationError(gettext_lazy("Choose a class session, or a venue with a start and an end."))
        return data


@admin.register(Meeting)
class MeetingAdmin(AddedByServiceMixin, ScopedAdminMixin, admin.ModelAdmin):
    staff_may_delete = False
    add_form = MeetingAddForm
    add_fields = ("community", "title", "session", "venue", "starts_at", "ends_at", "matters")
    list_display = ("title", "community", "venue", "starts_at", "status", "agenda_published_at")
    list_select_related = ("community", "venue")
    list_filter = ("status",)
    filter_horizontal = ("matters",)
    action_form = MeetingActionForm
    actions = ["publish_agenda", "record_minutes", "cancel_meetings"]
    inlines = [ParticipantInline, DecisionInline]
    readonly_fields = (
        "community", "title", "venue", "booking", "session", "starts_at", "ends_at", "matters", "agenda",
        "agenda_published_at", "minutes", "status", "held_at", "created_by", "created",
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "matters":
            field.queryset = scope_for(request.user).filter(Matter.objects.filter(status="deliberation"))
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            from django.utils import timezone

            from activities.enums import SessionStatus
            from activities.models import Session

            kwargs["queryset"] = scope_for(request.user).filter(
                Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now(), venue__isnull=False),
                community_path="course__community",
            ).select_related("course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.meeting_schedule(
            community=data["community"], venue=data.get("venue"), starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"), session=data.get("session"), title=data["title"], actor=request.user,
            matters=data.get("matters") or [],
        )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        # On add, the service has set the matters and invited their followers already.

    @admin.action(description=gettext_lazy("Publish the agenda (the text)"))
    def publish_agenda(self, request, queryset):
        run_service_action(
            self, request, queryset,
            lambda m: services.meeting_publish_agenda(meeting=m, actor=request.user, agenda=request.POST.get("text", "")),
            done=lambda n: ngettext("%(count)d agenda published.", "%(count)d agendas published.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Record the minutes (the text)"))
    def record_minutes(self, request, queryset):
        run_service_action(
            self, request, queryset,
            lambda m: services.meeting_record_minutes(meeting=m, actor=request.user, minutes=request.POST.get("text", "")),
            done=lambda n: ngettext("Minutes of %(count)d meeting recorded.", "Minutes of %(count)d meetings recorded.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Cancel (frees the venue)"))
    def cancel_meetings(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda m: services.meeting_cancel(meeting=m, actor=request.user),
            done=lambda n: ngettext("%(count)d meeting cancelled.", "%(count)d meetings cancelled.", n) % {"count": n},
        )


@admin.register(Participant)
class ParticipantAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "meeting__community"
    staff_may_delete = False
    list_display = ("user", "meeting", "kind", "confirmed_at", "present_at")
    list_select_related = ("user", "meeting")
    list_filter = ("kind", "meeting")
    readonly_fields = ("meeting", "user", "kind", "invited_at", "confirmed_at", "declined_at", "present_at")
    actions = ["check_in"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("Check in (present: may vote)"))
    def check_in(self, request, queryset):
        run_service_action(
            self, request, queryset.select_related("meeting", "user"),
            lambda p: services.meeting_check_in(meeting=p.meeting, user=p.user, actor=request.user),
            done=lambda n: ngettext("%(count)d participant checked in.", "%(count)d participants checked in.", n) % {"count": n},
        )


class DecisionActionForm(ActionForm):
    text = forms.CharField(label=gettext_lazy("Update"), required=False, max_length=2000)
    progress = forms.IntegerField(label=gettext_lazy("Progress in percent"), required=False, min_value=0, max_value=99)


class DecisionUpdateInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = DecisionUpdate
    fields = ("at", "author", "progress", "text")
    show_change_link = False


class DecisionAddForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = (
            "meeting", "matter", "text", "owner_kind", "owner_user", "owner_department", "owner_name", "due_date", "needs_vote",
        )


@admin.register(Decision)
class DecisionAdmin(AddedByServiceMixin, LiaisonAwareMixin, admin.ModelAdmin):
    community_path = "matter__community"
    department_path = "owner_department"
    staff_may_delete = False
    add_form = DecisionAddForm
    add_fields = DecisionAddForm.Meta.fields
    list_display = ("text", "matter", "owner_kind", "owner", "due_date", "status", "progress", "overdue_at")
    list_select_related = ("matter", "owner_user", "owner_department")
    list_filter = ("status", "owner_kind")
    ordering = ("status", "due_date", "id")
    action_form = DecisionActionForm
    actions = ["report_progress", "mark_done"]
    inlines = [DecisionUpdateInline]
    readonly_fields = DecisionAddForm.Meta.fields + ("status", "progress", "done_at", "overdue_at", "created")

    @admin.display(description=gettext_lazy("owner"))
    def owner(self, obj):
        return obj.owner_label

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.decision_record(
            meeting=data["meeting"], matter=data["matter"], actor=request.user, text=data["text"],
            owner_kind=data["owner_kind"], due_date=data["due_date"], owner_user=data.get("owner_user"),
            owner_department=data.get("owner_department"), owner_name=data.get("owner_name", ""),
            needs_vote=data.get("needs_vote", False),
        )

    @admin.action(description=gettext_lazy("Report progress (text and percent)"))
    def report_progress(self, request, queryset):
        try:
            progress = int(request.POST.get("progress") or "")
        except ValueError:
            self.message_user(request, _("Give the progress in percent."), level="error")
            return
        run_service_action(
            self, request, queryset.select_related("matter"),
            lambda d: services.decision_progress(decision=d, actor=request.user, text=request.POST.get("text", ""), progress=progress),
            done=lambda n: ngettext("%(count)d update recorded.", "%(count)d updates recorded.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Mark done (residents are asked to confirm)"))
    def mark_done(self, request, queryset):
        run_service_action(
            self, request, queryset.select_related("matter"),
            lambda d: services.decision_mark_done(decision=d, actor=request.user, text=request.POST.get("text", "")),
            done=lambda n: ngettext("%(count)d decision done.", "%(count)d decisions done.", n) % {"count": n},
        )
