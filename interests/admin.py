"""The interest tree, residents' profiles, interest groups and the order inbox (点单 → 接单) in the staff admin.

Orders move only through `interests.services`: the add form places an order for a resident who called or
came to the desk (`order_place`), the inbox's actions accept and reject (`order_accept`, `order_reject`)
and dispatch an accepted order into a class with a free place (`interests.desk.order_dispatch_into_course`);
"new order by phone" registers a caller and takes their order or registration in one go
(`interests.desk.desk_take`). Status, stamps and the timeline are read-only here.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scoping import (
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    ScopedInlineMixin,
    run_service_action,
)
from accounts.models import Grid, mask_phone
from accounts.offices import is_city_office, office_district_ids
from accounts.resources import ScopedImportExportMixin
from accounts.selectors import scope_for
from activities import desk_services as desk
from activities import orders
from activities.models import Order, OrderEvent
from activities.selectors import courses_open_for_orders

from . import category_defaults, services
from .enums import OrderChannel, OrderStatus
from .models import (
    Category,
    DistrictCategory,
    GroupMembership,
    InterestGroup,
    ResidentAvailability,
    ResidentProfile,
)
from .resources import InterestGroupResource, ResidentResource


@admin.register(Category)
class CategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # One interest tree for the whole district, so orders and classes compare across communities.
    community_path = None
    list_display = ("name", "parent", "name_en", "min_size", "max_size", "sort_order", "is_active")
    list_select_related = ("parent",)
    list_filter = ("is_active", ("parent", RelatedOnlyFieldListFilter))
    # Pinyin keys let staff type `taiji` or `tjq` for 太极拳.
    search_fields = ("name", "name_en", "pinyin", "pinyin_initials")
    autocomplete_fields = ("parent",)
    filter_horizontal = ("facilities",)
    ordering = ("sort_order", "name")
    actions = ["adopt_into_my_district"]

    def _may_write(self, request, obj=None) -> bool:
        # The tree is the city's default: the city office (and superusers) write it, nobody else.
        return self.has_view_permission(request, obj) and is_city_office(request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not office_district_ids(request.user):
            actions.pop("adopt_into_my_district", None)
        return actions

    @admin.action(description=gettext_lazy("Adopt the selected interests into my district's tree"))
    def adopt_into_my_district(self, request, queryset):
        district_ids = sorted(office_district_ids(request.user))
        if not district_ids:
            return
        adopted = category_defaults.district_categories_adopt(
            district_id=district_ids[0], actor=request.user, categories=list(queryset)
        )
        self.message_user(
            request,
            ngettext("%(count)d interest adopted.", "%(count)d interests adopted.", len(adopted))
            % {"count": len(adopted)},
            messages.SUCCESS,
        )


@admin.register(DistrictCategory)
class DistrictCategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A district's version of the tree: its office adapts it; the city default it came from stays as it is.

    Staff read the versions of their own district(s); the city office and superusers read every district's.
    """

    community_path = None
    list_display = ("name", "district", "category", "min_size", "max_size", "sort_order", "is_active", "adapted_at")
    list_select_related = ("district", "category")
    list_filter = ("district", "is_active")
    search_fields = ("name", "category__name")
    fields = ("district", "category", "name", "min_size", "max_size", "sort_order", "is_active", "adopted_by",
              "adopted_at", "adapted_at")
    readonly_fields = ("district", "category", "adopted_by", "adopted_at", "adapted_at")
    ordering = ("district", "sort_order", "name")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if is_city_office(user):
            return queryset
        scope = scope_for(user)
        mine = Q(district_id__in=office_district_ids(user))
        if scope.everything and not office_district_ids(user):
            return queryset
        if scope.community_ids:
            mine |= Q(district__streets__communities__in=scope.community_ids)
        return queryset.filter(mine).distinct()

    def has_view_permission(self, request, obj=None):
        user = request.user
        if not user.is_staff or scope_for(user).is_empty:
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        user = request.user
        if not user.is_staff:
            return False
        mine = office_district_ids(user)
        return (bool(mine) or user.is_superuser) if obj is None else (user.is_superuser or obj.district_id in mine)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        category_defaults.district_category_adapt(
            version=obj, actor=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
        )


class ResidentAvailabilityInline(ScopedInlineMixin, admin.TabularInline):
    model = ResidentAvailability
    extra = 0


@admin.register(ResidentProfile)
class ResidentProfileAdmin(ScopedAdminMixin, ScopedImportExportMixin, admin.ModelAdmin):
    # Export only (masked numbers): a new resident is registered through `resident_register`.
    resource_classes = [ResidentResource]
    importable = False
    staff_may_delete = False
    list_display = ("user", "masked_phone", "community", "grid", "consent_sms", "consent_recommendations", "created")
    list_select_related = ("user", "community", "grid__community")
    list_filter = (("community", RelatedOnlyFieldListFilter), "consent_sms", "consent_recommendations")
    search_fields = ("user__name", "user__phone")
    autocomplete_fields = ("user", "grid", "interests")
    readonly_fields = ("created", "updated")
    ordering = ("-created",)
    date_hierarchy = "created"
    show_full_result_count = False
    inlines = [ResidentAvailabilityInline]

    @admin.display(description=gettext_lazy("mobile number"), ordering="user__phone")
    def masked_phone(self, obj):
        return mask_phone(obj.user.phone)


@admin.register(ResidentAvailability)
class ResidentAvailabilityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "profile__community"
    list_display = ("profile", "weekday", "start", "end")
    list_select_related = ("profile__user",)
    list_filter = ("weekday",)
    search_fields = ("profile__user__name",)
    autocomplete_fields = ("profile",)
    ordering = ("profile", "weekday", "start")
    show_full_result_count = False


class GroupMembershipInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The group's members, for reading: residents join through the group-membership page (`group_join`)."""

    model = GroupMembership
    fields = ("user", "role", "joined")


@admin.register(InterestGroup)
class InterestGroupAdmin(ScopedAdminMixin, ScopedImportExportMixin, admin.ModelAdmin):
    resource_classes = [InterestGroupResource]
    list_display = ("name", "category", "community", "member_count", "max_members", "is_active", "created")
    list_select_related = ("category", "community")
    list_filter = ("is_active", ("community", RelatedOnlyFieldListFilter), ("category", RelatedOnlyFieldListFilter))
    search_fields = ("name", "category__name", "category__pinyin")
    autocomplete_fields = ("category",)
    ordering = ("name",)
    date_hierarchy = "created"
    inlines = [GroupMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description=gettext_lazy("members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


@admin.register(GroupMembership)
class GroupMembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "group__community"
    list_display = ("user", "group", "role", "joined")
    list_select_related = ("user", "group")
    list_filter = ("role", ("group__community", RelatedOnlyFieldListFilter))
    search_fields = ("user__name", "group__name")
    autocomplete_fields = ("user", "group")
    ordering = ("group__name", "-role", "joined")
    # A membership is made by `services.group_join` (active group, room left, a neighbour of its street).
    add_fields = ("group", "user")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("group", "user", "joined")

    def create_object(self, request, obj, form):
        self.check_can_save(request, obj)
        data = form.cleaned_data
        return services.group_join(group=data["group"], user=data["user"], actor=request.user)


# The inbox's default view: new orders to accept, accepted ones still waiting for a class.
INBOX_STATUSES = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED)


class OrderStatusFilter(admin.SimpleListFilter):
    """Status, with how many orders of the user's scope are in each: the inbox at a glance.

    Without a choice the list is the inbox ("to do": submitted and accepted orders); rejected, cancelled
    and finished orders are one click away under their status or "all". One grouped query; Django's
    facets would count every filter's choices and grow with the data.
    """

    title = gettext_lazy("status")
    parameter_name = "status"
    TODO = "todo"
    ALL = "all"

    def lookups(self, request, model_admin):
        counts = dict(model_admin.get_queryset(request).order_by().values_list("status").annotate(n=Count("id")))
        todo = sum(counts.get(status, 0) for status in INBOX_STATUSES)
        todo_label = _("To do: new and waiting")
        all_label = _("All orders")
        return [
            (self.TODO, f"{todo_label} ({todo})"),
            *[(value, f"{label} ({counts.get(value, 0)})") for value, label in OrderStatus.choices],
            (self.ALL, f"{all_label} ({sum(counts.values())})"),
        ]

    def value(self):
        return super().value() or self.TODO

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value == self.TODO:
            return queryset.filter(status__in=INBOX_STATUSES)
        return queryset.filter(status=value)

    def choices(self, changelist):
        # No "All" link that drops the parameter: without it the list is the inbox, so "all" is explicit.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class OrderAgeFilter(admin.SimpleListFilter):
    """How long an order has waited since it was placed: the oldest need an answer first."""

    title = gettext_lazy("waiting for")
    parameter_name = "age"
    # (value, label, at least days, less than days)
    BUCKETS = (
        ("1d", gettext_lazy("less than a day"), 0, 1),
        ("3d", gettext_lazy("1 to 3 days"), 1, 3),
        ("7d", gettext_lazy("3 to 7 days"), 3, 7),
        ("old", gettext_lazy("more than a week"), 7, None),
    )

    def lookups(self, request, model_admin):
        return [(value, label) for value, label, _lo, _hi in self.BUCKETS]

    def queryset(self, request, queryset):
        for value, _label, at_least, less_than in self.BUCKETS:
            if self.value() == value:
                now = timezone.now()
                queryset = queryset.filter(submitted_at__lte=now - timedelta(days=at_least))
                if less_than is not None:
                    queryset = queryset.filter(submitted_at__gt=now - timedelta(days=less_than))
                return queryset
        return queryset


class OrderGridFilter(admin.SimpleListFilter):
    """The grid (网格) the resident lives in, among the grids of the user's scope: one query."""

    title = gettext_lazy("grid")
    parameter_name = "grid"

    def lookups(self, request, model_admin):
        grids = scope_for(request.user).filter(Grid.objects.all()).order_by("community__name", "name")
        return [(str(pk), f"{community} · {name}") for pk, name, community in grids.values_list("pk", "name", "community__name")]

    def queryset(self, request, queryset):
        return queryset.filter(resident__profile__grid=self.value()) if self.value() else queryset


class OrderActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejection"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Required to reject: the resident reads it."),
    )


class OrderEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderEvent
    fields = ("at", "from_status", "to_status", "actor", "note")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class OrderAddForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = ("resident", "category", "channel", "note", "preferred_slots")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff enter orders that reach them by telephone or at the desk.
        self.fields["channel"].initial = OrderChannel.PHONE


@admin.register(Order)
class OrderAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    staff_may_delete = False
    add_form = OrderAddForm
    add_fields = ("resident", "category", "channel", "note", "preferred_slots")
    list_display = (
        "id",
        "submitted_at",
        "resident",
        "masked_phone",
        "category",
        "community",
        "status",
        "channel",
        "accepted_at",
    )
    list_display_links = ("id", "submitted_at")
    list_select_related = ("resident", "category", "community")
    list_filter = (
        OrderStatusFilter,
        OrderAgeFilter,
        ("category", RelatedOnlyFieldListFilter),
        OrderGridFilter,
        "channel",
        ("community", RelatedOnlyFieldListFilter),
    )
    search_fields = ("=id", "resident__name", "resident__phone", "category__name", "category__pinyin")
    autocomplete_fields = ("resident", "category", "course")
    filter_horizontal = ("preferred_slots",)
    # The inbox: new orders first, then accepted ones waiting for a class, then the rest; oldest first
    # within each, so nobody waits longest (see get_queryset and get_ordering).
    ordering = ("submitted_at", "id")
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    # Counts come from OrderStatusFilter; facets would add a query per filter choice.
    show_facets = admin.ShowFacets.NEVER
    action_form = OrderActionForm
    actions = ["accept_orders", "reject_orders", "dispatch_orders"]
    inlines = [OrderEventInline]
    change_list_template = "admin/activities/order/change_list.html"
    fieldsets = (
        (None, {"fields": ("resident", "community", "category", "channel", "placed_by", "note", "weight")}),
        (gettext_lazy("Preferred times"), {"fields": ("preferred_slots",)}),
        (
            gettext_lazy("Progress"),
            {
                "fields": (
                    "status",
                    "course",
                    "reject_reason",
                    "submitted_at",
                    "accepted_at",
                    "dispatched_at",
                    "completed_at",
                    "closed_at",
                )
            },
        ),
    )
    # Who asked and what the order has become are facts of its timeline; staff add a note or a priority.
    readonly_fields = (
        "resident",
        "community",
        "category",
        "channel",
        "placed_by",
        "status",
        "course",
        "reject_reason",
        "submitted_at",
        "accepted_at",
        "dispatched_at",
        "completed_at",
        "closed_at",
    )

    @admin.display(description=gettext_lazy("mobile number"), ordering="resident__phone")
    def masked_phone(self, obj):
        return mask_phone(obj.resident.phone)

    def get_ordering(self, request):
        # New submissions used to sit at the bottom under years of closed orders. A column header clicked
        # by staff still sorts as they ask (ChangeList puts their choice first).
        inbox_rank = Case(
            When(status=OrderStatus.SUBMITTED, then=Value(0)),
            When(status=OrderStatus.ACCEPTED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (inbox_rank.asc(), "submitted_at", "id")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "resident":
            field.queryset = field.queryset.filter(profile__isnull=False)
        elif db_field.name == "category":
            # An order names a concrete interest (太极拳), not a whole field (体育).
            field.queryset = field.queryset.filter(children__isnull=True, is_active=True)
        return field

    def create_object(self, request, obj, form):
        return orders.order_place(
            resident=form.cleaned_data["resident"],
            category=form.cleaned_data["category"],
            note=form.cleaned_data.get("note", ""),
            channel=form.cleaned_data["channel"],
            placed_by=request.user,
        )

    @admin.action(description=gettext_lazy("Accept the selected orders (接单)"), permissions=["change"])
    def accept_orders(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda order: orders.order_accept(order=order, actor=request.user),
            done=lambda n: ngettext("%(count)d order accepted.", "%(count)d orders accepted.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Reject the selected orders (give a reason)"), permissions=["change"])
    def reject_orders(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request, _("Write the reason for the rejection next to the action: the resident reads it."),
                messages.ERROR,
            )
            return
        run_service_action(
            self,
            request,
            queryset,
            lambda order: orders.order_reject(order=order, actor=request.user, reason=reason),
            done=lambda n: ngettext("%(count)d order rejected.", "%(count)d orders rejected.", n) % {"count": n},
        )


    # --- 派单 into an existing class --------------------------------------------------------------------------
    def open_courses_for(self, request, orders) -> dict[int, list]:
        """Classes in the user's scope with a free place, of the interests of `orders`, by interest (one query)."""
        courses = (
            courses_open_for_orders(actor=request.user, category_ids={order.category_id for order in orders})
            .select_related("community", "teacher", "slot")
            .order_by("community__name", "title", "pk")
        )
        by_category: dict[int, list] = {}
        for course in courses:
            by_category.setdefault(course.category_id, []).append(course)
        return by_category

    @admin.action(description=gettext_lazy("Dispatch the selected accepted orders into a class (派单)"), permissions=["change"])
    def dispatch_orders(self, request, queryset):
        orders = list(queryset.select_related("resident", "category", "community").order_by("submitted_at", "pk"))
        waiting = [order for order in orders if order.status == OrderStatus.ACCEPTED]
        if not waiting:
            self.message_user(request, _("Only accepted orders can be dispatched: accept them first."), messages.WARNING)
            return None
        courses = self.open_courses_for(request, waiting)
        if request.POST.get("apply"):
            chosen = {}
            for order in waiting:
                value = request.POST.get(f"course_{order.pk}", "")
                match = [c for c in courses.get(order.category_id, []) if str(c.pk) == value]
                if match:
                    chosen[order.pk] = match[0]
            pooled = len(waiting) - len(chosen)
            if chosen:
                run_service_action(
                    self,
                    request,
                    [order for order in waiting if order.pk in chosen],
                    lambda order: desk.order_dispatch_into_course(
                        order=order, course=chosen[order.pk], actor=request.user
                    ),
                    done=lambda n: ngettext(
                        "%(count)d order dispatched into a class.", "%(count)d orders dispatched into a class.", n
                    ) % {"count": n},
                )
            if pooled:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d order stays accepted in the pool of the matching service.",
                        "%(count)d orders stay accepted in the pool of the matching service.",
                        pooled,
                    ) % {"count": pooled},
                    messages.INFO,
                )
            return None
        rows = [(order, courses.get(order.category_id, [])) for order in waiting]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dispatch orders into a class"),
            "opts": self.model._meta,
            "rows": rows,
            "skipped": len(orders) - len(waiting),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/activities/order/dispatch.html", context)

    # --- orders and registrations taken by phone ------------------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("phone/", self.admin_site.admin_view(self.phone_view), name=f"{info[0]}_{info[1]}_phone"),
            path(
                "phone/residents/",
                self.admin_site.admin_view(self.resident_autocomplete_view),
                name=f"{info[0]}_{info[1]}_resident_autocomplete",
            ),
            *super().get_urls(),
        ]

    def resident_autocomplete_view(self, request):
        from activities.admin_desk import ResidentAutocompleteView

        return ResidentAutocompleteView.as_view(admin_site=self.admin_site)(request)

    def phone_view(self, request):
        from activities.admin_desk import PhoneOrderForm

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PhoneOrderForm(request.POST if request.method == "POST" else None, request=request, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = desk.desk_take(
                    staff=request.user,
                    resident=data.get("resident"),
                    name=data.get("name", ""),
                    phone=data.get("phone", ""),
                    community=data.get("community"),
                    category=data.get("category"),
                    course=data.get("course"),
                    channel=data["channel"],
                    note=data.get("note", ""),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if result.order is not None:
                    self.message_user(
                        request,
                        _("Order #%(id)s placed for %(resident)s (%(phone)s).")
                        % {"id": result.order.pk, "resident": result.resident.name, "phone": mask_phone(result.resident.phone)},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:activities_order_change", args=[result.order.pk]))
                self.message_user(
                    request,
                    _("%(resident)s (%(phone)s) registered for %(course)s: %(status)s.")
                    % {
                        "resident": result.resident.name,
                        "phone": mask_phone(result.resident.phone),
                        "course": result.registration.course.title,
                        "status": result.registration.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:activities_order_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("New order by phone"),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/activities/order/phone.html", context)


@admin.register(OrderEvent)
class OrderEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The orders' timelines, across orders: read-only, services write them."""

    community_path = "order__community"
    list_display = ("at", "order", "from_status", "to_status", "actor", "note")
    list_select_related = ("order__category", "order__resident", "actor")
    list_filter = ("to_status", ("order__community", RelatedOnlyFieldListFilter))
    search_fields = ("=order__id", "note")
    ordering = ("-at", "-id")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
