"""Venues (场地), their opening hours and bookings in the staff admin.

A venue belongs to the community it stands in, and its bookings with it. Bookings are made through
`venues.services.booking_create`, which refuses an overlap; confirmation and cancellation are actions.
The venue list links to the one-screen overview (场地管理一屏总览, `venues.occupancy`): a week of every
venue in the user's scope, with bookings, free opening hours, utilisation, overlaps and sessions with no room.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import ScopedAdminMixin, ScopedInlineMixin, run_service_action
from accounts.models import Community, Street
from accounts.resources import ScopedImportExportMixin
from accounts.selectors import scope_for
from activities.occupancy import PAGE_SIZE, CellState, week_overview, week_start_of
from community_college.params import BoundedDateField

from . import services
from .enums import OwnerType
from .models import Booking, Facility, OpeningHours, Venue, VenueManager
from .resources import VenueResource


class OverviewFilterForm(forms.Form):
    week = BoundedDateField(label=_("week of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    street = forms.ModelChoiceField(label=_("street"), queryset=Street.objects.none(), required=False)
    community = forms.ModelChoiceField(
        label=_("community"), queryset=Community.objects.none(), required=False
    )
    facility = forms.ModelChoiceField(label=_("facility"), queryset=Facility.objects.all(), required=False)
    owner_type = forms.ChoiceField(
        label=_("owner type"), choices=[("", "---------"), *OwnerType.choices], required=False
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        communities = scope.filter(Community.objects.all(), "").select_related("street")
        self.fields["community"].queryset = communities
        self.fields["street"].queryset = (
            Street.objects.all()
            if scope.everything
            else Street.objects.filter(communities__in=communities).distinct()
        )


@admin.register(Facility)
class FacilityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None
    list_display = ("name", "code")
    search_fields = ("name", "code")
    ordering = ("code",)


class OpeningHoursInline(ScopedInlineMixin, admin.TabularInline):
    model = OpeningHours
    extra = 0


class VenueManagerInline(ScopedInlineMixin, admin.TabularInline):
    """The venue's owners (the venue-owner role): they answer its bookings from /venue-owner/."""

    model = VenueManager
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "created")
    readonly_fields = ("created",)


@admin.register(Venue)
class VenueAdmin(ScopedAdminMixin, ScopedImportExportMixin, admin.ModelAdmin):
    resource_classes = [VenueResource]
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
        (
            None,
            {"fields": ("name", "community", "owner_type", "owner_name", "address", "capacity", "is_active")},
        ),
        (_("Use"), {"fields": ("facilities", "requires_confirmation")}),
        (_("Contact"), {"fields": ("contact_name", "contact_phone")}),
        (_("Location"), {"fields": ("latitude", "longitude"), "classes": ("collapse",)}),
    )
    inlines = [OpeningHoursInline, VenueManagerInline]
    change_list_template = "admin/venues/venue/change_list.html"

    def get_urls(self):
        return [
            path("overview/", self.admin_site.admin_view(self.overview_view), name="venues_venue_overview"),
            *super().get_urls(),
        ]

    def overview_view(self, request):
        """场地管理一屏总览: a week of every venue of the user's scope, filtered by street, community, facility, owner."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        scope = scope_for(request.user)
        form = OverviewFilterForm(request.GET or None, scope=scope)
        data = form.cleaned_data if form.is_valid() else {}
        venues = self.get_queryset(request).filter(is_active=True).order_by("community__name", "name", "pk")
        community_ids = None if scope.everything else scope.community_ids
        if data.get("street"):
            venues = venues.filter(community__street=data["street"])
            community_ids = [
                c.pk for c in form.fields["community"].queryset if c.street_id == data["street"].pk
            ]
        if data.get("community"):
            venues = venues.filter(community=data["community"])
            community_ids = [data["community"].pk]
        if data.get("facility"):
            venues = venues.filter(facilities=data["facility"])
        if data.get("owner_type"):
            venues = venues.filter(owner_type=data["owner_type"])
        week = week_start_of(data.get("week") or timezone.localdate())
        overview = week_overview(
            venues=venues,
            week_start=week,
            community_ids=community_ids,
            page=request.GET.get("page"),
            per_page=PAGE_SIZE,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Venues on one screen"),
            "opts": self.model._meta,
            "form": form,
            "overview": overview,
            "states": CellState,
            "previous_week": self._week_query(request, week - timedelta(days=7)),
            "next_week": self._week_query(request, week + timedelta(days=7)),
            "page_query": self._page_query(request),
            "can_confirm": self.admin_site._registry[Booking].has_change_permission(request),
        }
        return TemplateResponse(request, "admin/venues/venue/overview.html", context)

    @staticmethod
    def _week_query(request, week) -> str:
        query = request.GET.copy()
        query["week"] = week.isoformat()
        query.pop("page", None)  # another week starts again on the first page
        return query.urlencode()

    @staticmethod
    def _page_query(request) -> str:
        """The filters and week of this screen, to which a page link adds its `page=`."""
        query = request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


@admin.register(OpeningHours)
class OpeningHoursAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "venue__community"
    list_display = ("venue", "weekday", "start", "end")
    list_select_related = ("venue",)
    list_filter = ("weekday", ("venue__community", RelatedOnlyFieldListFilter))
    search_fields = ("venue__name",)
    autocomplete_fields = ("venue",)
    ordering = ("venue__name", "weekday", "start")


@admin.register(VenueManager)
class VenueManagerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The venue-owner role, bound to venues: staff of the venue's community add and remove managers."""

    community_path = "venue__community"
    add_fields = ("venue", "user")
    list_display = ("user", "venue", "created")
    list_select_related = ("user", "venue__community")
    list_filter = (("venue__community", RelatedOnlyFieldListFilter),)
    search_fields = ("user__name", "venue__name")
    autocomplete_fields = ("venue",)
    raw_id_fields = ("user",)
    ordering = ("venue__name", "user__name")
    show_full_result_count = False
    fields = ("venue", "user", "created")
    readonly_fields = fields

    def get_readonly_fields(self, request, obj=None):
        # A manager is added or removed, never moved to another venue or person.
        return () if obj is None else self.readonly_fields

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        return services.venue_manager_add(
            venue=form.cleaned_data["venue"], user=form.cleaned_data["user"], actor=request.user
        )


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
    fields = (
        "venue", "starts_at", "ends_at", "status", "session", "purpose", "booked_by", "created",
        "answered_by", "answered_at", "decline_reason",
    )
    # Times and venue are held by the overlap rule: to move a booking, cancel it and book again.
    readonly_fields = (
        "venue", "starts_at", "ends_at", "status", "session", "booked_by", "created",
        "answered_by", "answered_at", "decline_reason",
    )

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
            done=lambda n: (
                ngettext("%(count)d booking confirmed.", "%(count)d bookings confirmed.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Cancel the selected bookings"), permissions=["change"])
    def cancel_bookings(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda booking: services.booking_cancel(booking=booking, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d booking cancelled.", "%(count)d bookings cancelled.", n) % {"count": n}
            ),
        )
