"""Notices and deliveries in the staff admin: read-only records, and the failed-delivery list with "resend".

Rows are written by `notices.services` only. Staff see the notices of the residents of their scope (the
resident's home community); "resend" calls `services.deliveries_resend`, which checks the scope again.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import ScopedAdminMixin
from accounts.models import mask_phone

from . import services
from .enums import DeliveryStatus
from .models import Delivery, FailedDelivery, Notice


class _ReadOnly:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "not_before", "attempts", "sent_at", "failed_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    community_path = "recipient__profile__community"
    list_display = ("title", "recipient", "purpose", "language", "created", "read_at")
    list_select_related = ("recipient",)
    list_filter = ("purpose", "language")
    search_fields = ("object_key", "recipient__phone", "recipient__name")
    date_hierarchy = "created"
    show_full_result_count = False
    fields = (
        "recipient",
        "purpose",
        "object_key",
        "language",
        "title",
        "body",
        "sms_text",
        "url",
        "created",
        "read_at",
    )
    readonly_fields = fields
    inlines = [DeliveryInline]


class _DeliveryAdminBase(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    community_path = services.RESIDENT_COMMUNITY_PATH
    list_select_related = ("notice__recipient",)
    list_filter = ("channel", "status")
    search_fields = ("notice__object_key", "notice__recipient__phone", "notice__recipient__name")
    show_full_result_count = False
    actions = ["resend"]
    fields = (
        "notice",
        "channel",
        "status",
        "not_before",
        "queued_at",
        "claimed_at",
        "attempts",
        "sent_at",
        "failed_at",
        "provider_id",
        "last_error",
        "created",
    )
    readonly_fields = fields

    def has_resend_permission(self, request):
        return ScopedAdminMixin.has_change_permission(self, request)

    @admin.display(description=gettext_lazy("resident"))
    def resident(self, obj):
        user = obj.notice.recipient
        return f"{user.name} {mask_phone(user.phone)}".strip()

    @admin.display(description=gettext_lazy("purpose"), ordering="notice__purpose")
    def purpose(self, obj):
        return obj.notice.get_purpose_display()

    @admin.action(description=gettext_lazy("Resend the selected failed deliveries"), permissions=["resend"])
    def resend(self, request, queryset):
        try:
            count = services.deliveries_resend(
                delivery_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery will be sent again.",
                    "%(count)d deliveries will be sent again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("Nothing to resend: only failed deliveries can be sent again."), messages.WARNING
            )


@admin.register(Delivery)
class DeliveryAdmin(_DeliveryAdminBase):
    list_display = ("pk", "resident", "purpose", "channel", "status", "attempts", "not_before", "sent_at")
    date_hierarchy = "created"


@admin.register(FailedDelivery)
class FailedDeliveryAdmin(_DeliveryAdminBase):
    list_display = ("pk", "resident", "purpose", "channel", "attempts", "failed_at", "last_error")
    list_filter = ("channel",)
    ordering = ("-failed_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=DeliveryStatus.FAILED)
