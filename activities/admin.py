"""Classes, sessions, registrations, attendance and policy talks in the staff admin.

Writes that keep counters or hold rooms go through `activities.services`: a session is scheduled with its
venue booking (`session_schedule`), a registration takes a place or joins the waiting list
(`registration_create`) and is cancelled with `registration_cancel`, which moves the waiting list up.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import (
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    ScopedInlineMixin,
    run_service_action,
)
from accounts.models import mask_phone
from notices import hooks as notice_hooks

from . import services
from .models import Attendance, Course, PolicyTalk, Registration, Session, Term, WeeklySlot


@admin.register(Term)
class TermAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    list_display = ("name", "starts_on", "ends_on")
    search_fields = ("name",)
    ordering = ("-starts_on",)


@admin.register(WeeklySlot)
class WeeklySlotAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    list_display = ("code", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("code",)
    ordering = ("weekday", "start")


class SessionInline(ReadOnlyInlineMixin, admin.TabularInline):
    """A class's sessions, for reading; each is scheduled with its venue booking on the session page."""

    model = Session
    fields = ("starts_at", "ends_at", "venue", "capacity", "status")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("venue", "course")


class CourseForm(forms.ModelForm):
    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None and capacity < self.instance.confirmed_count:
            raise forms.ValidationError(
                _("%(taken)d places are already taken; the class cannot have fewer places.")
                % {"taken": self.instance.confirmed_count}
            )
        return capacity


@admin.register(Course)
class CourseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = CourseForm
    staff_may_delete = False
    list_display = (
        "title",
        "category",
        "community",
        "teacher",
        "term",
        "status",
        "confirmed_count",
        "capacity",
        "free_places",
    )
    list_select_related = ("category", "community", "teacher", "term")
    list_filter = ("status", "term", ("community", RelatedOnlyFieldListFilter), ("category", RelatedOnlyFieldListFilter))
    search_fields = ("title", "category__name", "category__pinyin", "teacher__name")
    autocomplete_fields = ("category", "teacher", "group", "venue")
    ordering = ("-created",)
    date_hierarchy = "created"
    # Kept by the registration service in the UPDATE that checks it; never typed in.
    readonly_fields = ("confirmed_count", "free_places", "created")
    fieldsets = (
        (None, {"fields": ("title", "category", "community", "group", "teacher", "description")}),
        (
            gettext_lazy("When and where"),
            {"fields": ("term", "slot", "venue", "status", "capacity", "confirmed_count", "free_places", "created")},
        ),
    )
    inlines = [SessionInline]
    actions = ["cancel_courses"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Residents registered for the class hear when its time, place or teacher changes.
        if change and {"slot", "venue", "teacher"} & set(form.changed_data):
            notice_hooks.course_changed(obj.pk, "changed")

    @admin.action(description=gettext_lazy("Cancel the selected classes and tell their residents"), permissions=["change"])
    def cancel_courses(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda course: services.course_cancel(course=course, actor=request.user),
            done=lambda n: ngettext("%(count)d class cancelled.", "%(count)d classes cancelled.", n) % {"count": n},
        )

    @admin.display(description=gettext_lazy("free places"))
    def free_places(self, obj):
        return obj.free_places if obj.capacity is not None else "—"


class PolicyTalkInline(ScopedInlineMixin, admin.StackedInline):
    model = PolicyTalk
    extra = 0
    max_num = 1


@admin.register(Session)
class SessionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "course__community"
    staff_may_delete = False
    add_fields = ("course", "venue", "starts_at", "ends_at")
    list_display = ("course", "community", "starts_at", "ends_at", "venue", "capacity", "status")
    list_select_related = ("course__community", "venue")
    list_filter = ("status", ("course__community", RelatedOnlyFieldListFilter))
    search_fields = ("course__title", "venue__name")
    autocomplete_fields = ("course", "venue")
    ordering = ("-starts_at",)
    date_hierarchy = "starts_at"
    fields = ("course", "venue", "starts_at", "ends_at", "capacity", "status")
    # The venue is held by a booking made with the session: moving it is a new booking, not an edit.
    readonly_fields = ("course", "venue", "starts_at", "ends_at")
    inlines = [PolicyTalkInline]

    @admin.display(description=gettext_lazy("community"), ordering="course__community__name")
    def community(self, obj):
        return obj.course.community

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = form.cleaned_data
        return services.session_schedule(
            course=data["course"],
            venue=data.get("venue"),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            actor=request.user,
        )


@admin.register(Registration)
class RegistrationAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    community_path = "course__community"
    add_fields = ("course", "resident")
    list_display = ("id", "resident", "masked_phone", "course", "community", "status", "created", "placed_by")
    list_display_links = ("id", "resident")
    list_select_related = ("resident", "course__community", "placed_by")
    list_filter = ("status", ("course__community", RelatedOnlyFieldListFilter))
    search_fields = ("=id", "resident__name", "resident__phone", "course__title")
    autocomplete_fields = ("course", "resident")
    ordering = ("-created", "-id")
    date_hierarchy = "created"
    show_full_result_count = False
    actions = ["cancel_registrations"]
    fields = ("course", "resident", "status", "order", "placed_by", "created", "status_changed")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("mobile number"), ordering="resident__phone")
    def masked_phone(self, obj):
        return mask_phone(obj.resident.phone)

    @admin.display(description=gettext_lazy("community"), ordering="course__community__name")
    def community(self, obj):
        return obj.course.community

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Deleting a confirmed registration would leave its place counted: cancel it instead.
        return False

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        return services.registration_create(
            course=form.cleaned_data["course"], resident=form.cleaned_data["resident"], placed_by=request.user
        )

    @admin.action(description=gettext_lazy("Cancel the selected registrations"), permissions=["change"])
    def cancel_registrations(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda registration: services.registration_cancel(registration=registration, actor=request.user),
            done=lambda n: ngettext(
                "%(count)d registration cancelled.", "%(count)d registrations cancelled.", n
            ) % {"count": n},
        )


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    list_display = ("resident", "session", "attended", "recorded_at")
    list_select_related = ("resident", "session__course")
    list_filter = ("attended", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("resident__name", "session__course__title")
    autocomplete_fields = ("resident", "session")
    ordering = ("-recorded_at",)
    date_hierarchy = "recorded_at"
    show_full_result_count = False


@admin.register(PolicyTalk)
class PolicyTalkAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    list_display = ("topic", "department", "session", "speaker", "status")
    list_select_related = ("department", "session__course")
    list_filter = ("status", "department", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("topic", "speaker", "department__name", "session__course__title")
    autocomplete_fields = ("session",)
    ordering = ("-created",)
    readonly_fields = ("created",)


from . import admin_dispatch  # noqa: E402, F401 — the matching service's admins register themselves
