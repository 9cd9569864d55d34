"""Classes, sessions, registrations, attendance and policy talks in the staff admin.

Writes that keep counters or hold rooms go through `activities.services`: a session is scheduled with its
venue booking (`session_schedule`), a registration takes a place or joins the waiting list
(`registration_create`) and is cancelled with `registration_cancel`, which moves the waiting list up.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter, widgets
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    run_service_action,
)
from accounts.models import Department, User, mask_phone, normalise_phone
from accounts.selectors import scope_for
from teachers.models import Teacher
from venues.models import Venue

from . import course_templates, selectors, services, talks
from .enums import ACTIVE_REGISTRATION_STATUSES, AttendanceStatus, PolicyTalkSide, PolicyTalkStatus
from .models import (
    Attendance,
    Course,
    PolicyTalk,
    Registration,
    Session,
    TalkSlot,
    Term,
    WaitingList,
    WeeklySlot,
)


@admin.register(Term)
class TermAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    district_path = "district"
    list_display = ("name", "district", "starts_on", "ends_on", "status")
    list_select_related = ("district",)
    list_filter = ("status", ("district", RelatedOnlyFieldListFilter))
    # Moved from the dates by the lifecycle beat task.
    readonly_fields = ("status",)
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


class CourseChangeForm(forms.Form):
    """The rule-carrying fields of a class, changed together through `services.course_update`."""

    capacity = forms.IntegerField(label=gettext_lazy("places"), min_value=1)
    venue = forms.ModelChoiceField(label=gettext_lazy("usual venue"), queryset=None, required=False)
    slot = forms.ModelChoiceField(label=gettext_lazy("weekly time"), queryset=WeeklySlot.objects.all(), required=False)
    teacher = forms.ModelChoiceField(label=gettext_lazy("teacher"), queryset=None, required=False)

    def __init__(self, *args, venues, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.fields["teacher"].queryset = teachers


class SessionRescheduleForm(forms.Form):
    starts_at = forms.SplitDateTimeField(label=gettext_lazy("starts at"), widget=widgets.AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=gettext_lazy("ends at"), widget=widgets.AdminSplitDateTime)
    venue = forms.ModelChoiceField(label=gettext_lazy("venue"), queryset=None, required=False)

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues


class WalkInForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number of a walk-in resident"), max_length=20)


class ServiceFormPageMixin:
    """A page of one object whose form is applied by a service; a refusal is shown on the form, nothing saved."""

    def service_form_page(self, request, obj, *, form, apply, title, intro, done):
        if request.method == "POST" and form.is_valid():
            try:
                apply(form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse(admin_urlname(self.model._meta, "change"), args=[obj.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/activities/service_form.html", context)

    def _venues_for(self, request):
        return self.admin_site._registry[Venue].scoped(request).filter(is_active=True).order_by("name")


@admin.register(Course)
class CourseAdmin(ServiceFormPageMixin, ScopedAdminMixin, admin.ModelAdmin):
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
    list_filter = (
        "status",
        "term",
        ("community", RelatedOnlyFieldListFilter),
        ("category", RelatedOnlyFieldListFilter),
    )
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
            {
                "fields": (
                    "term",
                    "slot",
                    "venue",
                    "status",
                    "capacity",
                    "confirmed_count",
                    "free_places",
                    "created",
                )
            },
        ),
    )
    inlines = [SessionInline]
    actions = ["cancel_courses", "close_courses", "publish_as_template"]
    # Fields that carry a rule (waiting list, bookings, notices): changed on the "change places, venue, time
    # or teacher" page or by the actions, each through a service, never typed into the form.
    service_fields = ("status", "capacity", "venue", "slot", "teacher")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # The community owns the class (its venue, bookings and registrations), the term dates its meetings
        # and drives its closing, and the interest is what orders were dispatched into it for: all three are
        # fixed once the class exists.
        return (*self.readonly_fields, *self.service_fields, "community", "term", "category", "change_class_link")

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = {name: value for name, value in form.cleaned_data.items() if name in services.COURSE_CREATE_FIELDS}
        return services.course_create(actor=request.user, **data)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (*fieldsets, (gettext_lazy("Changes"), {"fields": ("change_class_link",)}))

    @admin.display(description=gettext_lazy("places, venue, time, teacher"))
    def change_class_link(self, obj):
        url = reverse("admin:activities_course_change_class", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Change places, venue, time or teacher"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/change-class/",
                self.admin_site.admin_view(self.change_class_view),
                name="activities_course_change_class",
            ),
            *super().get_urls(),
        ]

    def change_class_view(self, request, object_id):
        course = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        initial = {
            "capacity": course.capacity,
            "venue": course.venue_id,
            "slot": course.slot_id,
            "teacher": course.teacher_id,
        }
        form = CourseChangeForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            venues=self._venues_for(request),
            teachers=Teacher.objects.filter(is_active=True).order_by("name"),
        )
        return self.service_form_page(
            request,
            course,
            form=form,
            apply=lambda data: services.course_update(
                course=course,
                actor=request.user,
                capacity=data["capacity"],
                venue=data["venue"],
                slot=data["slot"],
                teacher=data["teacher"],
            ),
            title=_("Change %(course)s") % {"course": course},
            intro=_(
                "More places move residents up from the waiting list. A new venue, time or teacher moves every "
                "coming meeting with its booking, or nothing if one of them clashes; registered residents are told once."
            ),
            done=_("The class was changed."),
        )

    @admin.action(description=gettext_lazy("Close the selected finished classes"), permissions=["change"])
    def close_courses(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda course: services.course_close(course=course, actor=request.user),
            done=lambda n: ngettext("%(count)d class closed.", "%(count)d classes closed.", n) % {"count": n},
        )

    # No "change" permission asked: the district office reads classes only, and it is the one that publishes.
    @admin.action(description=gettext_lazy("Publish as a class template for other districts (district office)"))
    def publish_as_template(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda course: course_templates.course_template_publish(course=course, actor=request.user),
            done=lambda n: ngettext("%(count)d template published.", "%(count)d templates published.", n)
            % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Cancel the selected classes and tell their residents"),
        permissions=["change"],
    )
    def cancel_courses(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda course: services.course_cancel(course=course, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d class cancelled.", "%(count)d classes cancelled.", n) % {"count": n}
            ),
        )

    @admin.display(description=gettext_lazy("free places"))
    def free_places(self, obj):
        return obj.free_places if obj.capacity is not None else "—"


class PolicyTalkInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The session's talks in the two-way choice; each is answered from the policy-talk page."""

    model = PolicyTalk
    fk_name = "session"
    fields = ("topic", "department", "initiated_by", "status", "speaker")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Session)
class SessionAdmin(ServiceFormPageMixin, ScopedAdminMixin, admin.ModelAdmin):
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
    fields = ("course", "venue", "starts_at", "ends_at", "capacity", "status", "changes")
    # The venue is held by a booking made with the session, and residents hear of every change: time, room
    # and status move only through the reschedule page and the cancel action (services), never by typing.
    readonly_fields = fields
    inlines = [PolicyTalkInline]
    actions = ["cancel_sessions"]

    @admin.display(description=gettext_lazy("community"), ordering="course__community__name")
    def community(self, obj):
        return obj.course.community

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description=gettext_lazy("changes"))
    def changes(self, obj):
        links = [
            (reverse("admin:activities_session_roll_call", args=[obj.pk]), _("Roll call")),
            (reverse("admin:activities_session_reschedule", args=[obj.pk]), _("Move to another time or room")),
        ]
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reschedule/",
                self.admin_site.admin_view(self.reschedule_view),
                name="activities_session_reschedule",
            ),
            path(
                "<path:object_id>/roll-call/",
                self.admin_site.admin_view(self.roll_call_view),
                name="activities_session_roll_call",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=gettext_lazy("Cancel the selected meetings and tell their residents"), permissions=["change"])
    def cancel_sessions(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset.select_related("course"),
            lambda session: services.session_cancel(session=session, actor=request.user),
            done=lambda n: ngettext("%(count)d meeting cancelled.", "%(count)d meetings cancelled.", n) % {"count": n},
        )

    def reschedule_view(self, request, object_id):
        session = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        form = SessionRescheduleForm(
            request.POST if request.method == "POST" else None,
            initial={"starts_at": session.starts_at, "ends_at": session.ends_at, "venue": session.venue_id},
            venues=self._venues_for(request),
        )
        return self.service_form_page(
            request,
            session,
            form=form,
            apply=lambda data: services.session_reschedule(
                session=session,
                actor=request.user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                venue=data["venue"],
            ),
            title=_("Move %(session)s") % {"session": session},
            intro=_("The booking moves with the meeting, or nothing moves if the room or the teacher is taken; residents are told."),
            done=_("The meeting was moved."),
        )

    def roll_call_view(self, request, object_id):
        """The whole roster of one meeting on one screen; one click records one resident (`attendance_record`).

        Open to the class's community staff and to its teacher (who has no scope of their own), so the session
        is looked up here rather than through the scoped queryset.
        """
        session = Session.objects.select_related("course__community", "course__teacher", "venue").filter(
            pk=unquote(object_id)
        ).first()
        if session is None or not services.may_take_roll_call(session=session, actor=request.user):
            raise Http404(_("No such object in your scope."))
        if request.method == "POST":
            self._roll_call_post(request, session)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Roll call: %(session)s") % {"session": session},
            "opts": self.model._meta,
            "original": session,
            "roster": selectors.session_roster(session=session),
            "statuses": AttendanceStatus.choices,
            "walk_in_form": WalkInForm(),
        }
        return TemplateResponse(request, "admin/activities/session/roll_call.html", context)

    def _roll_call_post(self, request, session) -> None:
        mark = request.POST.get("mark", "")
        try:
            if mark:
                resident_id, _sep, status = mark.partition(":")
                resident = User.objects.filter(pk=resident_id if resident_id.isdigit() else None).first()
                if resident is None:
                    raise ValidationError(_("Unknown resident."))
                services.attendance_record(session=session, resident=resident, status=status, actor=request.user)
                return
            form = WalkInForm(request.POST)
            if not form.is_valid():
                raise ValidationError([m for errors in form.errors.values() for m in errors])
            resident = User.objects.filter(phone=normalise_phone(form.cleaned_data["phone"])).first()
            if resident is None:
                raise ValidationError(_("No resident has this mobile number."))
            services.attendance_record(
                session=session,
                resident=resident,
                status=AttendanceStatus.PRESENT,
                actor=request.user,
                walk_in=True,
            )
            self.message_user(request, _("Walk-in recorded."), messages.SUCCESS)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

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


@admin.register(WaitingList)
class WaitingListAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read only: the database keeps these counts (triggers on registrations), nobody edits them."""

    community_path = "course__community"
    list_display = ("course", "waiting")
    list_select_related = ("course",)
    search_fields = ("course__title",)
    ordering = ("-waiting", "course")
    show_full_result_count = False
    fields = ("course", "waiting")
    readonly_fields = fields


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
            done=lambda n: (
                ngettext("%(count)d registration cancelled.", "%(count)d registrations cancelled.", n)
                % {"count": n}
            ),
        )


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    list_display = ("resident", "session", "attended", "excused", "walk_in", "recorded_at")
    list_select_related = ("resident", "session__course")
    list_filter = ("attended", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("resident__name", "session__course__title")
    autocomplete_fields = ("resident", "session")
    ordering = ("-recorded_at",)
    date_hierarchy = "recorded_at"
    show_full_result_count = False
    # Recorded only through a session's roll call (`services.attendance_record`): registered residents only,
    # walk-ins within the seats. Read here, never typed in.
    fields = ("session", "resident", "attended", "excused", "walk_in", "recorded_by", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- 课前5分钟: the two-way choice of policy talks (双选) -------------------------------------------------------
# Department liaisons hold no node of the organisation tree, so these two admins decide access with
# `activities.talks` (their department, or the staff member's scope) instead of the scope alone.


class _TalkAccessMixin:
    def _may_use(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        # The scope is already known on every admin page; the liaison's departments are asked only without it.
        return user.is_superuser or not scope_for(user).is_empty or bool(talks.liaison_department_ids(user))

    def has_module_permission(self, request):
        return self._may_use(request)

    def has_add_permission(self, request):
        # Talks are offered through the actions of the session list, by the services.
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class TalkAnswerForm(ActionForm):
    speaker = forms.CharField(
        label=gettext_lazy("Speaker"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Optional when accepting: who will give the talk."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for declining"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Required to decline: the other side reads it."),
    )


class TalkActionForm(ActionForm):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.all(), required=False
    )
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=120, required=False)
    speaker = forms.CharField(label=gettext_lazy("Speaker"), max_length=60, required=False)


class AudienceFilter(admin.SimpleListFilter):
    """Who the class reaches, by the age of the residents registered for it (a talk on fraud fits the old)."""

    title = gettext_lazy("audience")
    parameter_name = "audience"

    def lookups(self, request, model_admin):
        return [
            ("older", gettext_lazy("Older residents (60 and over)")),
            ("adults", gettext_lazy("Adults under 60")),
            ("young", gettext_lazy("Children and teenagers (under 18)")),
        ]

    def queryset(self, request, queryset):
        year = timezone.localdate().year
        bands = {
            "older": Q(resident__birth_year__lte=year - 60),
            "adults": Q(resident__birth_year__gt=year - 60, resident__birth_year__lte=year - 18),
            "young": Q(resident__birth_year__gt=year - 18),
        }
        band = bands.get(self.value())
        if band is None:
            return queryset
        registered = Registration.objects.filter(
            band, course=OuterRef("course"), status__in=ACTIVE_REGISTRATION_STATUSES
        )
        return queryset.filter(Exists(registered))


class TalkTakenFilter(admin.SimpleListFilter):
    title = gettext_lazy("policy talk")
    parameter_name = "talk"

    def lookups(self, request, model_admin):
        return [("free", gettext_lazy("No talk accepted yet")), ("taken", gettext_lazy("Talk accepted"))]

    def queryset(self, request, queryset):
        if self.value() in ("free", "taken"):
            return queryset.filter(has_accepted_talk=self.value() == "taken")
        return queryset


@admin.register(TalkSlot)
class TalkSlotAdmin(_TalkAccessMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Upcoming sessions, for a liaison to pick one for a talk and for staff to invite a department to one."""

    community_path = "course__community"
    action_form = TalkActionForm
    list_select_related = ("course__category", "course__community", "venue")
    list_display = ("course_title", "category", "community", "starts_at", "venue", "talk_taken")
    list_filter = (
        TalkTakenFilter,
        ("course__category", RelatedOnlyFieldListFilter),
        ("course__community", RelatedOnlyFieldListFilter),
        AudienceFilter,
    )
    list_display_links = None
    search_fields = ("course__title", "course__category__name", "course__community__name")
    ordering = ("starts_at", "pk")
    actions = ["propose_talk", "invite_department"]
    show_full_result_count = False

    def get_queryset(self, request):
        # Every liaison may choose any session of the district; staff invite to those of their scope.
        queryset = talks.upcoming_sessions_for_talks()
        user = request.user
        if user.is_superuser or talks.liaison_department_ids(user):
            return queryset
        return scope_for(user).filter(queryset, "course__community")

    def has_view_permission(self, request, obj=None):
        return self._may_use(request)

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # A liaison offers talks of their own department; the service refuses any other anyway.
        action_form = (getattr(response, "context_data", None) or {}).get("action_form")
        if action_form is not None:
            action_form.fields["department"].queryset = self._departments_for(request)
        return response

    def _departments_for(self, request):
        user = request.user
        mine = talks.liaison_department_ids(user)
        if mine and not user.is_superuser:
            return Department.objects.filter(pk__in=mine)
        # Staff invite the departments of their own district only.
        return scope_for(user).filter_district(Department.objects.all())

    def _action_fields(self, request):
        form = self.action_form(request.POST)
        form.fields["department"].queryset = self._departments_for(request)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid():
            return None
        return form.cleaned_data

    @admin.display(description=gettext_lazy("class"), ordering="course__title")
    def course_title(self, obj):
        return obj.course.title

    @admin.display(description=gettext_lazy("interest"), ordering="course__category__name")
    def category(self, obj):
        return obj.course.category

    @admin.display(description=gettext_lazy("community"), ordering="course__community__name")
    def community(self, obj):
        return obj.course.community

    @admin.display(description=gettext_lazy("talk accepted"), boolean=True)
    def talk_taken(self, obj):
        return obj.has_accepted_talk

    def _offer(self, request, queryset, offer, done):
        data = self._action_fields(request) or {}
        department = data.get("department")
        if department is None:
            mine = talks.liaison_department_ids(request.user)
            if len(mine) == 1:
                department = Department.objects.get(pk=next(iter(mine)))
        if department is None or not (data.get("topic") or "").strip():
            self.message_user(
                request, _("Choose the department and write the topic next to the action."), messages.ERROR
            )
            return
        run_service_action(
            self, request, queryset, lambda session: offer(session, department, data), done=done
        )

    @admin.action(description=gettext_lazy("Propose a talk on the selected sessions (department)"))
    def propose_talk(self, request, queryset):
        self._offer(
            request,
            queryset,
            lambda session, department, data: talks.policy_talk_propose(
                session=session,
                department=department,
                topic=data["topic"],
                speaker=data.get("speaker", ""),
                actor=request.user,
            ),
            lambda n: ngettext("%(count)d talk proposed.", "%(count)d talks proposed.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Invite a department to the selected sessions (community)"))
    def invite_department(self, request, queryset):
        self._offer(
            request,
            queryset,
            lambda session, department, data: talks.policy_talk_invite(
                session=session, department=department, topic=data["topic"], actor=request.user
            ),
            lambda n: (
                ngettext("%(count)d department invited.", "%(count)d departments invited.", n) % {"count": n}
            ),
        )


class AwaitingMyAnswerFilter(admin.SimpleListFilter):
    title = gettext_lazy("answer")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", gettext_lazy("Waiting for my answer"))]

    def queryset(self, request, queryset):
        if self.value() != "me" or request.user.is_superuser:
            return queryset
        # Offers of the other side: a liaison answers invitations, staff answer departments' proposals.
        mine = Q(
            initiated_by=PolicyTalkSide.COMMUNITY,
            department_id__in=talks.liaison_department_ids(request.user),
        )
        scope = scope_for(request.user)
        if scope.can_change:
            theirs = Q(initiated_by=PolicyTalkSide.DEPARTMENT)
            if not scope.everything:
                theirs &= Q(session__course__community_id__in=scope.community_ids)
            mine |= theirs
        return queryset.filter(mine, status=PolicyTalkStatus.PROPOSED)


@admin.register(PolicyTalk)
class PolicyTalkAdmin(_TalkAccessMixin, ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    action_form = TalkAnswerForm
    list_display = (
        "topic",
        "department",
        "session",
        "community",
        "initiated_by",
        "status",
        "speaker",
        "answered_at",
    )
    list_select_related = ("department", "session__course__community")
    list_filter = (
        AwaitingMyAnswerFilter,
        "status",
        "initiated_by",
        "department",
        ("session__course__community", RelatedOnlyFieldListFilter),
    )
    search_fields = ("topic", "speaker", "department__name", "session__course__title")
    ordering = ("-created",)
    fields = (
        "session",
        "department",
        "topic",
        "speaker",
        "status",
        "initiated_by",
        "proposed_by",
        "answered_by",
        "answered_at",
        "decline_reason",
        "created",
    )
    readonly_fields = fields
    actions = ["accept_talks", "decline_talks"]
    show_full_result_count = False

    def get_queryset(self, request):
        return talks.talks_visible_to(request.user, admin.ModelAdmin.get_queryset(self, request))

    def has_view_permission(self, request, obj=None):
        if not self._may_use(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return scope_for(request.user).covers(self.community_id_of(obj)) or (
            obj.department_id in talks.liaison_department_ids(request.user)
        )

    def has_change_permission(self, request, obj=None):
        # Nothing is typed in here: talks move only through the accept and decline actions.
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=gettext_lazy("community"), ordering="session__course__community__name")
    def community(self, obj):
        return obj.session.course.community

    @admin.action(description=gettext_lazy("Accept the selected talks"))
    def accept_talks(self, request, queryset):
        speaker = request.POST.get("speaker", "").strip()
        run_service_action(
            self,
            request,
            queryset.select_related("session__course"),
            lambda talk: talks.policy_talk_accept(talk=talk, actor=request.user, speaker=speaker),
            done=lambda n: (
                ngettext("%(count)d talk accepted.", "%(count)d talks accepted.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Decline the selected talks (give a reason)"))
    def decline_talks(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request,
                _("Write the reason for declining next to the action: the other side reads it."),
                messages.ERROR,
            )
            return
        run_service_action(
            self,
            request,
            queryset.select_related("session__course"),
            lambda talk: talks.policy_talk_decline(talk=talk, actor=request.user, reason=reason),
            done=lambda n: (
                ngettext("%(count)d talk declined.", "%(count)d talks declined.", n) % {"count": n}
            ),
        )


# The other admins of the app register themselves: the matching service's, and those of certificates,
# reconfirmations, no-show rules and volunteer hours.
# The showcases' admins (their photos and stories) too.
from . import admin_dispatch, admin_noshow, admin_showcases, admin_templates  # noqa: E402, F401
