"""The matching service (派单) in the staff admin: run, review, confirm, record consent, discard.

- **Matching runs**: "Add" runs the matching for a community or a street (the add form names the node, the
  term and the solver; `activities.dispatch.service.match_run`). A run's page is the review: its figures,
  the classes it proposes with their residents, teacher, venue and time, and why the other orders stayed
  unplaced. Actions confirm every proposed class of a run (all or nothing) or discard them.
- **Proposed classes**: confirm all or part of a proposal (each class in its own transaction, so one
  refusal leaves the others confirmed), record the teacher's or the venue owner's answer, discard.
- **Unplaced orders**: the reasons, filterable by run, community, interest and reason.

Every write goes through `activities.dispatch.service`, which checks the scope class by class; the admins
here only decide what a user sees (`ScopedAdminMixin`). The district office reads; it has no actions.
"""

from __future__ import annotations

import contextlib
from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ActionForm
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    run_service_action,
)
from accounts.models import Street, mask_phone
from accounts.selectors import scope_for

from .dispatch import near_miss as near_misses
from .dispatch import selectors as dispatch_selectors
from .dispatch import service as dispatch
from .dispatch.build import default_term
from .dispatch.enums import MatchScope, MatchSolver, NearMissStatus, UnassignedReason
from .models import (
    MatchRun,
    NearMiss,
    NearMissMember,
    ProposedClass,
    ProposedPlacement,
    Term,
    UnassignedOrder,
    WaitingNotice,
)

# A run from the admin solves inside the request: keep it short (the command has no such limit).
ADMIN_MAX_TIME_LIMIT = float(getattr(settings, "MATCH_ADMIN_MAX_TIME_LIMIT", 60.0))


def _change_link(obj, label=None) -> str:
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label if label is not None else obj)


# --- matching runs -------------------------------------------------------------------------------------------


class MatchRunForm(forms.ModelForm):
    """The add form: which node, which term, which solver."""

    class Meta:
        model = MatchRun
        fields = ("scope", "community", "street", "district", "term", "solver", "seed", "time_limit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "scope" not in self.fields:  # a stored run: every field is read-only
            return
        self.fields["scope"].initial = MatchScope.COMMUNITY
        self.fields["solver"].initial = MatchSolver.SOLVER
        self.fields["time_limit"].initial = min(20.0, ADMIN_MAX_TIME_LIMIT)
        self.fields["time_limit"].help_text = _(
            "At most %(limit)d seconds here; the solver may stop sooner."
        ) % {"limit": ADMIN_MAX_TIME_LIMIT}
        with contextlib.suppress(forms.ValidationError):  # no term ahead: staff must add one first
            # Of the terms offered (the user's districts'): each district keeps its own calendar.
            district_ids = self.fields["term"].queryset.values("district_id")
            self.fields["term"].initial = default_term(district_ids=district_ids).pk

    def clean_time_limit(self):
        value = self.cleaned_data["time_limit"]
        if value is not None and value > ADMIN_MAX_TIME_LIMIT:
            raise forms.ValidationError(
                _("Run for at most %(limit)d seconds here; use `manage.py match` for longer runs.")
                % {"limit": ADMIN_MAX_TIME_LIMIT}
            )
        return value

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        field = {
            MatchScope.COMMUNITY: "community",
            MatchScope.STREET: "street",
            MatchScope.DISTRICT: "district",
        }.get(scope)
        if field and not data.get(field):
            self.add_error(field, _("Choose the %(scope)s to match.") % {"scope": MatchScope(scope).label})
        for other in ("community", "street", "district"):
            if other != field:
                data[other] = None
        return data


class ProposedClassInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The classes of a run, with their residents: the heart of the review."""

    model = ProposedClass
    fk_name = "run"
    fields = (
        "category",
        "teacher",
        "venue",
        "slot",
        "size",
        "residents",
        "status",
        "teacher_consent",
        "venue_consent",
        "course",
    )
    verbose_name_plural = gettext_lazy("proposed classes (in your scope)")

    def get_queryset(self, request):
        placements = ProposedPlacement.objects.select_related("order__resident").order_by("order_id")
        queryset = (
            super().get_queryset(request).select_related("category", "teacher", "venue", "slot", "course")
        )
        return (
            scope_for(request.user)
            .filter(queryset, "community")
            .prefetch_related(Prefetch("placements", queryset=placements))
        )

    @admin.display(description=gettext_lazy("orders"))
    def residents(self, obj):
        return ", ".join(f"{p.order.resident} (#{p.order_id})" for p in obj.placements.all())


class NearMissInline(ReadOnlyInlineMixin, admin.TabularInline):
    """What one relaxation would open, beside the proposal: staff apply it from the near misses' list."""

    model = NearMiss
    fk_name = "run"
    fields = (
        "near_miss_link",
        "relaxation",
        "category",
        "what",
        "venue",
        "slot",
        "teacher",
        "group",
        "status",
    )
    verbose_name_plural = gettext_lazy("near misses: one relaxation would open a class (in your scope)")

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("category", "venue", "slot", "teacher", "group")
            .prefetch_related("members")
        )
        return scope_for(request.user).filter(queryset, "community")

    @admin.display(description=gettext_lazy("near miss"))
    def near_miss_link(self, obj):
        return _change_link(obj, f"#{obj.pk}")

    @admin.display(description=gettext_lazy("what is missing"))
    def what(self, obj):
        return near_misses.describe(obj)


@admin.register(MatchRun)
class MatchRunAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = MatchRunForm
    staff_may_delete = False
    add_fields = ("scope", "community", "street", "district", "term", "solver", "seed", "time_limit")
    list_display = (
        "id",
        "created",
        "scope",
        "node",
        "term",
        "status",
        "classes",
        "orders_assigned",
        "orders_total",
        "weight_share",
        "walk_km_display",
        "seconds_display",
        "created_by",
    )
    list_display_links = ("id", "created")
    list_select_related = ("community", "street", "district", "term", "created_by")
    list_filter = ("status", "scope", "term")
    search_fields = ("=id", "community__name", "street__name", "district__name")
    ordering = ("-created", "-id")
    date_hierarchy = "created"
    actions = ["confirm_runs", "discard_runs"]
    inlines = [ProposedClassInline, NearMissInline]
    fieldsets = (
        (None, {"fields": ("scope", "node", "term", "status", "created", "created_by")}),
        (
            gettext_lazy("Figures"),
            {
                "fields": (
                    "orders_total",
                    "orders_assigned",
                    "orders_unlocated",
                    "classes",
                    "weight_share",
                    "walk_km_display",
                    "teachers",
                    "venues",
                    "solver",
                    "seed",
                    "time_limit",
                    "seconds_display",
                )
            },
        ),
        (gettext_lazy("Unplaced orders"), {"fields": ("unplaced",)}),
    )
    readonly_fields = (
        "scope",
        "node",
        "term",
        "status",
        "created",
        "created_by",
        "orders_total",
        "orders_assigned",
        "orders_unlocated",
        "classes",
        "weight_share",
        "walk_km_display",
        "teachers",
        "venues",
        "solver",
        "seed",
        "time_limit",
        "seconds_display",
        "unplaced",
    )

    # A run belongs to a node, not to one community: community staff see their street's and district's runs
    # (and, in them, only their own classes and orders).
    def filter_by_scope(self, queryset, scope):
        return queryset.filter(pk__in=dispatch_selectors.runs_in_scope(scope).values("pk"))

    def object_in_scope(self, scope, obj):
        return dispatch_selectors.runs_in_scope(scope).filter(pk=obj.pk).exists()

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # Nothing on a run is typed in; the changelist's actions call the services, which check each class.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    @staticmethod
    def runnable_scopes(user) -> list[str]:
        """The levels this user may run the matching at: community staff their community, street staff
        also their street, the district office (and superusers) everything. Offering a level the user
        cannot fill in ended in "社区: 该字段是必填项"."""
        scope = scope_for(user)
        if scope.reads_districts:
            return [MatchScope.COMMUNITY, MatchScope.STREET, MatchScope.DISTRICT]
        if scope.street_ids:
            return [MatchScope.COMMUNITY, MatchScope.STREET]
        return [MatchScope.COMMUNITY]

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return super().get_fieldsets(request, obj)
        allowed = self.runnable_scopes(request.user)
        hidden = {"street": MatchScope.STREET, "district": MatchScope.DISTRICT}
        return [(None, {"fields": [f for f in self.add_fields if f not in hidden or hidden[f] in allowed]})]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "scope":
            allowed = self.runnable_scopes(request.user)
            kwargs["choices"] = [(value, label) for value, label in MatchScope.choices if value in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        scope = scope_for(request.user)
        if db_field.name == "street" and not scope.everything:
            field.queryset = Street.objects.filter(pk__in=scope.street_ids)
        elif db_field.name == "term":
            field.queryset = scope_for(request.user).filter_district(Term.objects.order_by("-starts_on"))
        return field

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        node = data.get("community") or data.get("street") or data.get("district")
        outcome = dispatch.match_run(
            node=node,
            term=data["term"],
            actor=request.user,
            time_limit=data["time_limit"],
            greedy=data["solver"] == MatchSolver.GREEDY,
            seed=data["seed"],
        )
        return outcome.run

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the review of the proposal just made.
        return HttpResponseRedirect(reverse("admin:activities_matchrun_change", args=[obj.pk]))

    @admin.display(description=gettext_lazy("node"))
    def node(self, obj):
        return obj.node

    @admin.display(description=gettext_lazy("priority placed"), ordering="assigned_weight")
    def weight_share(self, obj):
        share = 100 * obj.assigned_weight / obj.total_weight if obj.total_weight else 0.0
        return f"{obj.assigned_weight:.1f} / {obj.total_weight:.1f} ({share:.0f}%)"

    @admin.display(description=gettext_lazy("walking (km)"), ordering="walk_km")
    def walk_km_display(self, obj):
        return f"{obj.walk_km:.2f}"

    @admin.display(description=gettext_lazy("seconds"), ordering="seconds")
    def seconds_display(self, obj):
        return f"{obj.seconds:.1f}"

    @admin.display(description=gettext_lazy("why orders stayed unplaced (your scope)"))
    def unplaced(self, obj):
        if obj.pk is None:
            return "—"
        scope = getattr(obj, "_viewer_scope", None)
        if scope is None:
            return "—"
        rows = dispatch_selectors.unassigned_reason_counts(scope, run=obj)
        counts = Counter()
        for row in rows:
            counts[row.reason] += row.count
        if not counts:
            return _("None.")
        url = reverse("admin:activities_unassignedorder_changelist") + f"?run={obj.pk}"
        items = format_html_join(
            "", "<li>{}: {}</li>", ((UnassignedReason(r).label, n) for r, n in sorted(counts.items()))
        )
        return format_html('<ul>{}</ul><a href="{}">{}</a>', items, url, _("List the orders"))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        # The read-only `unplaced` field counts within the viewer's scope, and display methods get only the
        # object (the admin instance is shared by every request, so the scope travels on the object).
        obj._viewer_scope = scope_for(request.user)
        return obj

    @admin.action(
        description=gettext_lazy(
            "Confirm every proposed class of the selected runs (all or nothing per run)"
        ),
        permissions=["change"],
    )
    def confirm_runs(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda run: dispatch.run_confirm(run=run, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d run confirmed.", "%(count)d runs confirmed.", n) % {"count": n}
            ),
        )

    @admin.action(
        description=gettext_lazy("Discard the proposed classes of the selected runs"), permissions=["change"]
    )
    def discard_runs(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda run: dispatch.run_discard(run=run, actor=request.user),
            done=lambda n: (
                ngettext("%(count)d run discarded.", "%(count)d runs discarded.", n) % {"count": n}
            ),
        )


# --- proposed classes ----------------------------------------------------------------------------------------


class _OrderRowInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Rows that stand for one resident's order (a placement, a near miss's member): its link and resident."""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__resident", "order__community")

    @admin.display(description=gettext_lazy("order"))
    def order_link(self, obj):
        return _change_link(obj.order, f"#{obj.order_id}")

    @admin.display(description=gettext_lazy("resident"))
    def resident(self, obj):
        return obj.order.resident

    @admin.display(description=gettext_lazy("community"))
    def community(self, obj):
        return obj.order.community


class PlacementInline(_OrderRowInline):
    model = ProposedPlacement
    fields = ("order_link", "resident", "phone", "community", "walk_km", "weight", "active")
    show_change_link = False

    @admin.display(description=gettext_lazy("mobile number"))
    def phone(self, obj):
        return mask_phone(obj.order.resident.phone)

    @admin.display(description=gettext_lazy("priority"))
    def weight(self, obj):
        return obj.order.weight


class ProposedClassActionForm(ActionForm):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Why the class is declined or discarded (optional)."),
    )


class RunFilter(admin.SimpleListFilter):
    """The latest runs of the user's scope; a run's page links here with ?run=<id>."""

    title = gettext_lazy("matching run")
    parameter_name = "run"

    def lookups(self, request, model_admin):
        runs = dispatch_selectors.runs_in_scope(scope_for(request.user)).order_by("-created", "-id")[:10]
        return [(str(run.pk), str(run)) for run in runs]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(run_id=int(value)) if value and value.isdigit() else queryset


@admin.register(ProposedClass)
class ProposedClassAdmin(ScopedAdminMixin, admin.ModelAdmin):
    staff_may_delete = False
    list_display = (
        "id",
        "category",
        "teacher",
        "venue",
        "slot",
        "term",
        "size",
        "status",
        "teacher_consent",
        "venue_consent",
        "course_link",
        "run_link",
    )
    list_select_related = ("category", "teacher", "venue", "slot", "term", "course", "run")
    list_filter = (
        RunFilter,
        "status",
        "teacher_consent",
        "venue_consent",
        ("community", RelatedOnlyFieldListFilter),
        ("category", RelatedOnlyFieldListFilter),
        "term",
    )
    search_fields = ("=id", "category__name", "category__pinyin", "teacher__name", "venue__name")
    ordering = ("-run__created", "id")
    action_form = ProposedClassActionForm
    actions = [
        "confirm_classes",
        "teacher_accepts",
        "teacher_declines",
        "venue_accepts",
        "venue_declines",
        "discard_classes",
    ]
    inlines = [PlacementInline]
    fields = (
        "run_link",
        "category",
        "teacher",
        "venue",
        "slot",
        "term",
        "community",
        "size",
        "weight",
        "walk_km",
        "status",
        "teacher_consent",
        "teacher_answered_at",
        "venue_consent",
        "venue_answered_at",
        "course_link",
        "decided_by",
        "decided_at",
        "note",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # classes are proposed by a run

    @admin.display(description=gettext_lazy("class"))
    def course_link(self, obj):
        return _change_link(obj.course)

    @admin.display(description=gettext_lazy("matching run"), ordering="run__created")
    def run_link(self, obj):
        return _change_link(obj.run, f"#{obj.run_id}")

    def _act(self, request, queryset, call, done):
        run_service_action(self, request, queryset.order_by("pk"), call, done=done)

    @admin.action(
        description=gettext_lazy("Confirm the selected classes (courses, sessions, registrations; 派单)"),
        permissions=["change"],
    )
    def confirm_classes(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_confirm(proposed=pc, actor=request.user),
            lambda n: (
                ngettext("%(count)d class confirmed.", "%(count)d classes confirmed.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Record: the teacher accepts"), permissions=["change"])
    def teacher_accepts(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_teacher_answer(proposed=pc, accept=True, actor=request.user),
            lambda n: ngettext("%(count)d answer recorded.", "%(count)d answers recorded.", n) % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Record: the teacher declines (frees the orders)"), permissions=["change"]
    )
    def teacher_declines(self, request, queryset):
        note = request.POST.get("note", "").strip()
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_teacher_answer(
                proposed=pc, accept=False, actor=request.user, note=note
            ),
            lambda n: ngettext("%(count)d class declined.", "%(count)d classes declined.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Record: the venue owner accepts"), permissions=["change"])
    def venue_accepts(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_venue_answer(proposed=pc, accept=True, actor=request.user),
            lambda n: ngettext("%(count)d answer recorded.", "%(count)d answers recorded.", n) % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Record: the venue owner declines (frees the orders)"),
        permissions=["change"],
    )
    def venue_declines(self, request, queryset):
        note = request.POST.get("note", "").strip()
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_venue_answer(
                proposed=pc, accept=False, actor=request.user, note=note
            ),
            lambda n: ngettext("%(count)d class declined.", "%(count)d classes declined.", n) % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Discard the selected classes (frees the orders)"), permissions=["change"]
    )
    def discard_classes(self, request, queryset):
        note = request.POST.get("note", "").strip()
        self._act(
            request,
            queryset,
            lambda pc: dispatch.proposed_class_discard(proposed=pc, actor=request.user, note=note),
            lambda n: (
                ngettext("%(count)d class discarded.", "%(count)d classes discarded.", n) % {"count": n}
            ),
        )


@admin.register(ProposedPlacement)
class ProposedPlacementAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Placements, for reading: which order sits in which proposed class (written by the service only)."""

    community_path = "proposed_class__community"
    list_display = ("id", "order_link", "proposed_class", "walk_km", "active")
    list_select_related = (
        "order",
        "proposed_class__category",
        "proposed_class__venue",
        "proposed_class__slot",
    )
    list_filter = ("active", ("proposed_class__community", RelatedOnlyFieldListFilter))
    search_fields = ("=order__id", "=proposed_class__id")
    ordering = ("-id",)
    show_full_result_count = False
    fields = ("proposed_class", "order_link", "walk_km", "active")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("order"), ordering="order_id")
    def order_link(self, obj):
        return _change_link(obj.order, f"#{obj.order_id}")


# --- unplaced orders -----------------------------------------------------------------------------------------


@admin.register(UnassignedOrder)
class UnassignedOrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("order_link", "community", "category", "reason", "run_link", "latest")
    list_select_related = ("order", "community", "category", "run")
    list_filter = (
        RunFilter,
        "reason",
        "latest",
        ("community", RelatedOnlyFieldListFilter),
        ("category", RelatedOnlyFieldListFilter),
    )
    search_fields = ("=order__id", "category__name", "category__pinyin")
    ordering = ("-run__created", "order_id")
    show_full_result_count = False
    fields = ("run_link", "order_link", "community", "category", "reason", "latest")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("order"), ordering="order_id")
    def order_link(self, obj):
        return _change_link(obj.order, f"#{obj.order_id}")

    @admin.display(description=gettext_lazy("matching run"), ordering="run__created")
    def run_link(self, obj):
        return _change_link(obj.run, f"#{obj.run_id}")


# --- near misses ---------------------------------------------------------------------------------------------


class _ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Rows written by the services only: read here, changed by actions elsewhere."""

    community_path = "order__community"
    show_full_result_count = False


@admin.register(NearMissMember)
class NearMissMemberAdmin(_ReadOnlyAdmin):
    list_display = ("id", "order", "near_miss", "extra", "consent", "answered_at")
    list_select_related = ("order__category", "order__resident", "near_miss__category")
    list_filter = ("consent", "extra")
    search_fields = ("=order__id", "=near_miss__id")
    ordering = ("-id",)
    fields = ("near_miss", "order", "extra", "consent", "answered_at")
    readonly_fields = fields


@admin.register(WaitingNotice)
class WaitingNoticeAdmin(_ReadOnlyAdmin):
    list_display = ("order", "sent_at")
    list_select_related = ("order__category", "order__resident")
    search_fields = ("=order__id",)
    ordering = ("-sent_at",)
    fields = ("order", "sent_at")
    readonly_fields = fields


class NearMissMemberInline(_OrderRowInline):
    model = NearMissMember
    fields = ("order_link", "resident", "community", "extra", "consent", "answered_at")


@admin.register(NearMiss)
class NearMissAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Near misses of the runs: apply one (its residents are asked, the class is proposed when enough agree)
    or set it aside. Everything is read-only; the actions call `activities.dispatch.near_miss`."""

    staff_may_delete = False
    list_display = (
        "id",
        "category",
        "relaxation",
        "what",
        "community",
        "venue",
        "slot",
        "status",
        "deadline",
        "class_link",
        "run_link",
    )
    list_select_related = ("category", "community", "venue", "slot", "group", "run", "proposed_class")
    list_filter = (
        RunFilter,
        "status",
        "relaxation",
        ("community", RelatedOnlyFieldListFilter),
        ("category", RelatedOnlyFieldListFilter),
    )
    search_fields = ("=id", "category__name", "category__pinyin", "venue__name")
    ordering = ("-run__created", "id")
    actions = ["apply_near_misses", "dismiss_near_misses"]
    inlines = [NearMissMemberInline]
    fields = (
        "run_link",
        "relaxation",
        "what",
        "category",
        "community",
        "venue",
        "slot",
        "teacher",
        "group",
        "needed",
        "min_size",
        "radius_km",
        "status",
        "asked_at",
        "deadline",
        "decided_by",
        "class_link",
        "recruit",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    def has_add_permission(self, request):
        return False  # near misses are found by a run

    @admin.display(description=gettext_lazy("what is missing"))
    def what(self, obj):
        return near_misses.describe(obj)

    @admin.display(description=gettext_lazy("proposed class"))
    def class_link(self, obj):
        return _change_link(obj.proposed_class)

    @admin.display(description=gettext_lazy("matching run"), ordering="run__created")
    def run_link(self, obj):
        return _change_link(obj.run, f"#{obj.run_id}")

    @admin.display(description=gettext_lazy("teachers of this interest"))
    def recruit(self, obj):
        return recruit_links(obj.category_id)

    def _act(self, request, queryset, call, done):
        run_service_action(self, request, queryset.order_by("pk"), call, done=done)

    @admin.action(
        description=gettext_lazy(
            "Apply the relaxation (ask the residents it changes; propose when enough agree)"
        ),
        permissions=["change"],
    )
    def apply_near_misses(self, request, queryset):
        self._act(
            request,
            queryset.filter(status=NearMissStatus.OPEN),
            lambda nm: near_misses.near_miss_apply(near_miss=nm, actor=request.user),
            lambda n: (
                ngettext("%(count)d near miss applied.", "%(count)d near misses applied.", n) % {"count": n}
            ),
        )

    @admin.action(description=gettext_lazy("Set the selected near misses aside"), permissions=["change"])
    def dismiss_near_misses(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda nm: near_misses.near_miss_dismiss(near_miss=nm, actor=request.user),
            lambda n: (
                ngettext("%(count)d near miss set aside.", "%(count)d near misses set aside.", n)
                % {"count": n}
            ),
        )


def recruit_links(category_id: int) -> str:
    """Links into the teacher pool for an interest: its teachers, and residents' recommendations of teachers."""
    teachers = reverse("admin:teachers_teacher_changelist") + f"?skills__category__id__exact={category_id}"
    links = [(teachers, _("Teachers with this skill"))]
    with contextlib.suppress(Exception):  # the recommendations' admin may be absent
        recommendations = reverse("admin:teachers_teacherrecommendation_changelist")
        links.append((recommendations, _("Residents' teacher recommendations")))
    return format_html_join(" · ", '<a href="{}">{}</a>', links)
