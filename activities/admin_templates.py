"""Class templates (复制推广) in the staff admin: every staff member with a scope browses them; the
publishing district's office edits its own; any district office copies one into its own community."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import ScopedAdminMixin, run_service_action
from accounts.models import Community
from accounts.offices import office_district_ids
from accounts.selectors import scope_for

from . import course_templates
from .models import CourseTemplate, CourseTemplateCopy


def _communities_for(user):
    queryset = Community.objects.select_related("street__district").order_by("street__district__name", "name")
    if user.is_superuser:
        return queryset
    return queryset.filter(street__district_id__in=office_district_ids(user))


class CopyTemplateForm(ActionForm):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Into community"), queryset=Community.objects.all(), required=False
    )
    # Django validates this form before calling the action; the action narrows the choice to the user's
    # district, and the service refuses any other community anyway.


class CopyInline(admin.TabularInline):
    model = CourseTemplateCopy
    fields = ("course", "district", "copied_by", "copied_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CourseTemplateCopy)
class CourseTemplateCopyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Where templates were copied to: read here, written only by "Copy into my district"."""

    community_path = "course__community"
    list_display = ("course", "template", "district", "copied_by", "copied_at")
    list_select_related = ("course", "template", "district", "copied_by")
    search_fields = ("course__title", "template__title")
    readonly_fields = ("template", "course", "district", "copied_by", "copied_at")
    ordering = ("-copied_at", "-id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CourseTemplate)
class CourseTemplateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # Shared on purpose: every district browses every district's templates.
    community_path = None
    list_display = ("title", "category", "district", "origin", "copies_count", "published_at")
    list_select_related = ("category", "district", "source_course__community")
    list_filter = ("district",)
    search_fields = ("title", "category__name")
    ordering = ("-published_at", "-id")
    action_form = CopyTemplateForm
    actions = ["copy_into_my_district"]
    show_full_result_count = False
    fields = (
        "title",
        "category",
        "description",
        "materials",
        "session_plan",
        "capacity",
        "district",
        "source_course",
        "published_by",
        "published_at",
        "updated_at",
    )
    # Origin and publisher carry the rule of who may edit: never typed in.
    readonly_fields = ("category", "district", "source_course", "published_by", "published_at", "updated_at")
    inlines = [CopyInline]

    def get_queryset(self, request):
        return course_templates.course_templates_list()

    @admin.display(description=gettext_lazy("source class"))
    def origin(self, obj):
        course = obj.source_course
        if course is None:
            return "—"
        return format_html("{} · {}", course.title, course.community.name)

    @admin.display(description=gettext_lazy("copies"), ordering="copies_count")
    def copies_count(self, obj):
        return obj.copies_count

    # --- permissions: shared read, the publishing district writes, published by the class's action ----------
    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and not scope_for(request.user).is_empty

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if not request.user.is_staff:
            return False
        if request.user.is_superuser:
            return True
        mine = office_district_ids(request.user)
        return bool(mine) if obj is None else obj.district_id in mine

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        course_templates.course_template_update(
            template=obj, actor=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (request.user.is_superuser or office_district_ids(request.user)):
            return {}
        return actions

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        action_form = (getattr(response, "context_data", None) or {}).get("action_form")
        if action_form is not None:
            action_form.fields["community"].queryset = _communities_for(request.user)
        return response

    @admin.action(description=gettext_lazy("Copy into my district (as a class draft)"))
    def copy_into_my_district(self, request, queryset):
        form = self.action_form(request.POST)
        form.fields["community"].queryset = _communities_for(request.user)
        form.fields["action"].choices = self.get_action_choices(request)
        community = form.cleaned_data.get("community") if form.is_valid() else None
        if community is None:
            self.message_user(request, _("Choose the community next to the action."), messages.ERROR)
            return
        run_service_action(
            self,
            request,
            queryset,
            lambda template: course_templates.course_template_copy(
                template=template, community=community, actor=request.user
            ),
            done=lambda n: (
                ngettext("%(count)d class draft made.", "%(count)d class drafts made.", n) % {"count": n}
            ),
        )
