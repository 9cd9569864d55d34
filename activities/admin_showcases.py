"""Showcases, their photos and stories in the staff admin: approve or reject proposals, moderate photos,
write and publish stories. Every status moves through `activities.showcases`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import ReadOnlyAdminMixin, ScopedAdminMixin, run_service_action

from . import showcases as services
from .admin import ServiceFormPageMixin
from .enums import MediaStatus
from .forms import MediaUploadForm
from .models import Showcase, ShowcaseMedia, Story


class ShowcaseActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Required to reject or cancel: the proposer reads it."),
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Move to"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("To move: the new start; the showcase keeps its length."),
    )


class MediaInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ShowcaseMedia
    fk_name = "showcase"
    extra = 0
    can_delete = False
    fields = ("preview", "caption", "status", "uploaded_by", "created")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("photo"))
    def preview(self, obj):
        return _thumb(obj)


def _thumb(obj):
    if not obj.pk:
        return "—"
    url = reverse("activities:showcase_media", args=[obj.pk, "thumb"])
    return format_html('<img src="{}" alt="" style="max-height:80px">', url)


@admin.register(Showcase)
class ShowcaseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    staff_may_delete = False
    list_display = ("title", "kind", "community", "starts_at", "venue", "status", "seats")
    list_select_related = ("community", "venue", "audience")
    list_filter = ("status", "kind", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("title", "group__name", "course__title")
    ordering = ("-starts_at",)
    date_hierarchy = "starts_at"
    # A proposal comes from the portal or the API (the room is booked as it is saved); staff decide here.
    readonly_fields = (
        "title",
        "kind",
        "community",
        "group",
        "course",
        "venue",
        "starts_at",
        "ends_at",
        "programme",
        "participants",
        "status",
        "proposed_by",
        "decided_by",
        "decided_at",
        "decision_note",
        "seats",
        "created",
    )
    fields = readonly_fields
    inlines = [MediaInline]
    action_form = ShowcaseActionForm
    actions = ["approve_showcases", "reject_showcases", "move_showcases"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("audience"))
    def seats(self, obj):
        return f"{obj.audience.confirmed_count} / {obj.audience.capacity}"

    @admin.action(description=gettext_lazy("Approve the selected showcases"), permissions=["change"])
    def approve_showcases(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda s: services.showcase_approve(showcase=s, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d showcase approved.", "%(count)d showcases approved.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Reject or cancel the selected showcases"), permissions=["change"])
    def reject_showcases(self, request, queryset):
        reason = request.POST.get("reason", "")
        run_service_action(
            self,
            request,
            queryset,
            lambda s: services.showcase_reject(showcase=s, actor=request.user, reason=reason),
            done=lambda n: (
                ngettext("%(count)d showcase rejected.", "%(count)d showcases rejected.", n) % {"count": n}
            ),
        )

    @admin.action(
        description=gettext_lazy("Move the selected showcases to the time given"), permissions=["change"]
    )
    def move_showcases(self, request, queryset):
        form = ShowcaseActionForm({"starts_at": request.POST.get("starts_at", "")})
        form.fields["action"].required = False
        if not form.is_valid() or form.cleaned_data["starts_at"] is None:
            self.message_user(request, _("Give the new start to move a showcase."), messages.ERROR)
            return
        start = form.cleaned_data["starts_at"]
        run_service_action(
            self,
            request,
            queryset,
            lambda s: services.showcase_move(
                showcase=s, actor=request.user, starts_at=start, ends_at=start + (s.ends_at - s.starts_at)
            ),
            done=lambda n: (
                ngettext("%(count)d showcase moved.", "%(count)d showcases moved.", n) % {"count": n}
            ),
        )


@admin.register(ShowcaseMedia)
class ShowcaseMediaAdmin(ScopedAdminMixin, admin.ModelAdmin):
    staff_may_delete = False
    list_display = (
        "preview",
        "caption",
        "showcase",
        "story",
        "community",
        "status",
        "consent_confirmed",
        "created",
    )
    list_select_related = ("showcase", "story", "community")
    list_filter = ("status", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("caption", "showcase__title", "story__title")
    ordering = ("status", "-created")
    readonly_fields = (
        "preview",
        "showcase",
        "story",
        "community",
        "caption",
        "width",
        "height",
        "consent_confirmed",
        "status",
        "uploaded_by",
        "moderated_by",
        "moderated_at",
        "created",
    )
    fields = readonly_fields
    actions = ["approve_media", "reject_media"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("photo"))
    def preview(self, obj):
        return _thumb(obj)

    def _moderate(self, request, queryset, approve: bool):
        run_service_action(
            self,
            request,
            queryset,
            lambda item: services.media_moderate(item=item, actor=request.user, approve=approve),
            done=lambda n: (
                ngettext("%(count)d photo moderated.", "%(count)d photos moderated.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Show the selected photos on the walls"), permissions=["change"])
    def approve_media(self, request, queryset):
        self._moderate(request, queryset.exclude(status=MediaStatus.APPROVED), True)

    @admin.action(description=gettext_lazy("Reject the selected photos"), permissions=["change"])
    def reject_media(self, request, queryset):
        self._moderate(request, queryset.exclude(status=MediaStatus.REJECTED), False)


@admin.register(Story)
class StoryAdmin(ServiceFormPageMixin, ScopedAdminMixin, admin.ModelAdmin):
    staff_may_delete = False
    list_display = ("title", "subject_name", "community", "status", "consent_recorded", "published_at")
    list_select_related = ("community",)
    list_filter = ("status", ("community", RelatedOnlyFieldListFilter))
    search_fields = ("title", "subject_name")
    autocomplete_fields = ("subject",)
    readonly_fields = ("status", "published_at", "written_by", "created", "photo_link")
    fields = (
        "community",
        "title",
        "subject_name",
        "subject",
        "showcase",
        "body",
        "consent_recorded",
        "consent_note",
        *readonly_fields,
    )
    actions = ["publish_stories", "withdraw_stories"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.readonly_fields, "community")

    def get_fields(self, request, obj=None):
        if obj is None:
            return [f for f in self.fields if f not in self.readonly_fields]
        return self.fields

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = {
            k: v
            for k, v in form.cleaned_data.items()
            if k
            in (
                "community",
                "title",
                "body",
                "subject_name",
                "subject",
                "showcase",
                "consent_recorded",
                "consent_note",
            )
        }
        return services.story_create(actor=request.user, **data)

    @admin.display(description=gettext_lazy("photos"))
    def photo_link(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("admin:activities_story_photo", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Add a photo"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/photo/",
                self.admin_site.admin_view(self.photo_view),
                name="activities_story_photo",
            ),
            *super().get_urls(),
        ]

    def photo_view(self, request, object_id):
        story = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, story):
            raise PermissionDenied
        form = MediaUploadForm(request.POST or None, request.FILES or None)
        return self.service_form_page(
            request,
            story,
            form=form,
            apply=lambda data: services.media_add(
                actor=request.user,
                story=story,
                upload=data["photo"],
                caption=data["caption"],
                consent_confirmed=data["consent_confirmed"],
            ),
            title=_("Add a photo to %(story)s") % {"story": story},
            intro=_("Location and camera data are removed; the photo is shown once it is moderated."),
            done=_("The photo was added."),
        )

    @admin.action(description=gettext_lazy("Publish the selected stories"), permissions=["change"])
    def publish_stories(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda s: services.story_publish(story=s, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d story published.", "%(count)d stories published.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Withdraw the selected stories"), permissions=["change"])
    def withdraw_stories(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda s: services.story_withdraw(story=s, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d story withdrawn.", "%(count)d stories withdrawn.", n) % {"count": n}
            ),
        )
