"""Venues (场地), their opening hours and bookings in the staff admin.

A venue belongs to the community it stands in, and its bookings with it. Bookings are made through
`venues.services.booking_create`, which refuses an overlap; confirmation and cancellation are actions.
"""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import ScopedAdminMixin, ScopedInlineMixin, run_service_action

from . import services
from .models import Booking, Facility, OpeningHours, Venue


@admin.register(Facility)
class FacilityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    list_display = ("name", "code")
    search_fields = ("name", "code")
    ordering = ("code",)


class OpeningHoursInline(ScopedInlineMixin, admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Venue)
class VenueAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "owner_type", "community", "capacity", "requires_confirmation", "is_active")
    list_select_related = ("community",)
    list_filter = (
        "owner_type",
        "is_active",
        "requires_confirmation",
        ("community", RelatedOnlyFieldListFilter),
        "facilities",
    )
    search_fields = ("name", "address", "owner_name")
    filter_horizontal = ("facilities",)
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "community", "owner_type", "owner_name", "address", "capacity", "is_active")}),
        (_("Use"), {"fields": ("facilities", "requires_confirmation")}),
        (_("Contact"), {"fields": ("contact_name", "contact_phone")}),
        (_("Location"), {"fields": ("latitude", "longitude"), "classes": ("collapse",)}),
    )
    inlines = [OpeningHoursInline]


@admin.register(OpeningHours)
class OpeningHoursAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "venue__community"
    list_display = ("venue", "weekday", "start", "end")
    list_select_related = ("venue",)
    list_filter = ("weekday", ("venue__community", RelatedOnlyFieldListFilter))
    search_fields = ("venue__name",)
    autocomplete_fields = ("venue",)
    ordering = ("venue__name", "weekday", "start")


@admin.register(Booking)
class BookingAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    community_path = "venue__community"
    staff_may_delete = False
    add_fields = ("venue", "starts_at", "ends_at", "purpose")
    list_display = ("venue", "starts_at", "ends_at", "status", "session", "purpose", "booked_by")
    list_select_related = ("venue", "session__course", "booked_by")
    list_filter = ("status", ("venue__community", RelatedOnlyFieldListFilter))
    search_fields = ("venue__name", "purpose")
    autocomplete_fields = ("venue",)
    ordering = ("-starts_at",)
    date_hierarchy = "starts_at"
    actions = ["confirm_bookings", "cancel_bookings"]
    fields = ("venue", "starts_at", "ends_at", "status", "session", "purpose", "booked_by", "created")
    # Times and venue are held by the overlap rule: to move a booking, cancel it and book again.
    readonly_fields = ("venue", "starts_at", "ends_at", "status", "session", "booked_by", "created")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = form.cleaned_data
        return services.booking_create(
            venue=data["venue"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            purpose=data.get("purpose", ""),
            booked_by=request.user,
        )

    @admin.action(description=_("Confirm the selected bookings"), permissions=["change"])
    def confirm_bookings(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda booking: services.booking_confirm(booking=booking, actor=request.user),
            done=lambda n: ngettext("%(count)d booking confirmed.", "%(count)d bookings confirmed.", n) % {"count": n},
        )

    @admin.action(description=_("Cancel the selected bookings"), permissions=["change"])
    def cancel_bookings(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda booking: services.booking_cancel(booking=booking, actor=request.user),
            done=lambda n: ngettext("%(count)d booking cancelled.", "%(count)d bookings cancelled.", n) % {"count": n},
        )
