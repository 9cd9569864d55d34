"""The fund in the staff admin, scoped like every other admin (`accounts.admin_scoping`).

The ledger is read-only here: postings and entries are made by services (income, pledges received,
expenses approved) and corrected by the "reverse" action. Documents are created through their services
(`create_object`) and moved on by actions; fields that carry a rule (amounts once posted, statuses, who
approved) are read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin_scoping import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    run_service_action,
)

from . import services
from .enums import PaymentMethod, ReversalReason
from .models import (
    Account,
    BudgetLine,
    Campaign,
    Entry,
    Expense,
    Income,
    Pledge,
    Posting,
    StipendBatch,
    StipendLine,
    StipendRate,
)


class FundsActionForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, max_length=300,
        help_text=gettext_lazy("Needed to reject an expense."),
    )
    method = forms.ChoiceField(label=gettext_lazy("Received by"), required=False, choices=[("", "—"), *PaymentMethod.choices])
    reversal = forms.ChoiceField(label=gettext_lazy("Why reverse"), required=False, choices=[("", "—"), *ReversalReason.choices])


class ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Ledger rows: written by the services only."""


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    community_path = "college__community"
    list_display = ("college", "code", "kind")
    list_filter = ("kind", "code")
    list_select_related = ("college",)
    search_fields = ("college__name",)


class EntryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Entry
    fields = ("account", "amount", "currency")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Posting)
class PostingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    action_form = FundsActionForm
    actions = ["reverse_postings"]
    inlines = [EntryInline]
    list_display = ("id", "occurred_on", "college", "kind", "memo", "created_by", "reverses")
    list_filter = ("kind", "term", ("college", RelatedOnlyFieldListFilter))
    list_select_related = ("college", "created_by", "reverses")
    date_hierarchy = "occurred_on"
    search_fields = ("memo",)
    show_full_result_count = False
    readonly_fields = (
        "college", "kind", "occurred_on", "term", "memo", "created_by", "created", "reverses", "reason",
        "income", "pledge", "campaign", "expense", "course", "session",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change view is a read-only page; the "reverse" action needs the right to change.
        return super().has_change_permission(request, obj) if obj is None else False

    @admin.action(description=gettext_lazy("Reverse the selected postings (say why)"), permissions=["change"])
    def reverse_postings(self, request, queryset):
        reason = request.POST.get("reversal", "")
        if reason not in ReversalReason.values:
            self.message_user(request, _("Choose why the postings are reversed."), messages.ERROR)
            return
        run_service_action(
            self, request, queryset,
            lambda p: services.posting_reverse(posting=p, actor=request.user, reason=reason),
            done=lambda n: ngettext("%(count)d posting reversed.", "%(count)d postings reversed.", n) % {"count": n},
        )


@admin.register(Income)
class IncomeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    add_fields = (
        "college", "source", "donor_kind", "donor_name", "department", "publish_donor", "amount", "received_on",
        "item", "value_basis", "memo",
    )
    list_display = ("received_on", "college", "source", "donor_name", "amount", "publish_donor")
    list_filter = ("source", "donor_kind", ("college", RelatedOnlyFieldListFilter))
    list_select_related = ("college",)
    search_fields = ("donor_name", "item")
    readonly_fields = (*add_fields, "recorded_by", "created")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.income_record(
            college=data["college"], source=data["source"], donor_kind=data["donor_kind"],
            donor_name=data["donor_name"], department=data.get("department"), publish_donor=data["publish_donor"],
            amount=data["amount"], received_on=data["received_on"], item=data.get("item", ""),
            value_basis=data.get("value_basis", ""), memo=data.get("memo", ""), actor=request.user,
        )

    def has_change_permission(self, request, obj=None):
        # Posted income is corrected by reversing its posting, never edited.
        return super().has_change_permission(request, obj) if obj is None else False


class PledgeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Pledge
    fields = ("created", "amount", "status", "public_name", "method", "received_at")


@admin.register(Campaign)
class CampaignAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    add_fields = ("college", "title", "purpose", "use", "target", "deadline", "course")
    list_display = ("title", "college", "use", "target", "deadline", "status", "public_link")
    list_filter = ("status", "use", ("college", RelatedOnlyFieldListFilter))
    list_select_related = ("college",)
    search_fields = ("title",)
    actions = ["close_campaigns"]
    inlines = [PledgeInline]

    def get_readonly_fields(self, request, obj=None):
        # The deadline (pledges expire after it) and the class (the postings' course) carry rules that
        # campaign_create checks; there is no service to move them, so they are fixed once the campaign is open.
        return () if obj is None else ("college", "use", "target", "deadline", "course", "status", "created_by", "created")

    @admin.display(description=gettext_lazy("Page for residents"))
    def public_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("funds:campaign", args=[obj.pk]), _("open"))

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.campaign_create(
            college=data["college"], title=data["title"], purpose=data["purpose"], use=data["use"],
            target=data["target"], deadline=data["deadline"], course=data.get("course"), actor=request.user,
        )

    @admin.action(description=gettext_lazy("Close the selected campaigns to new pledges"), permissions=["change"])
    def close_campaigns(self, request, queryset):
        run_service_action(
            self, request, queryset,
            lambda c: services.campaign_close(campaign=c, actor=request.user),
            done=lambda n: ngettext("%(count)d campaign closed.", "%(count)d campaigns closed.", n) % {"count": n},
        )


@admin.register(Pledge)
class PledgeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "campaign__college__community"
    staff_may_delete = False
    action_form = FundsActionForm
    add_fields = ("campaign", "amount", "unit_name", "public_name")
    list_display = ("created", "campaign", "amount", "status", "giver", "method", "received_at")
    list_filter = ("status", "method", ("campaign__college", RelatedOnlyFieldListFilter))
    list_select_related = ("campaign", "pledger")
    search_fields = ("campaign__title", "unit_name", "public_name")
    actions = ["receive_pledges", "cancel_pledges"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("campaign", "pledger", "amount", "status", "method", "received_at", "received_by", "gateway_reference", "created")

    @admin.display(description=gettext_lazy("Giver"))
    def giver(self, obj):
        # Staff see who pledged (they need it to match the money); the masked phone keeps lists safe to show.
        if obj.pledger_id:
            return f"{obj.pledger.name} ({obj.pledger.masked_phone})"
        return obj.unit_name or "—"

    def create_object(self, request, obj, form):
        """A gift taken at the desk: a pledge without a resident account, received with the action."""
        data = form.cleaned_data
        return services.pledge_create(
            campaign=data["campaign"], amount=data["amount"], pledger=None, unit_name=data.get("unit_name", ""),
            public_name=data.get("public_name", ""), actor=request.user,
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) if obj is None else False

    @admin.action(description=gettext_lazy("Confirm the money arrived (choose how) and thank the giver"), permissions=["change"])
    def receive_pledges(self, request, queryset):
        method = request.POST.get("method", "")
        if method not in PaymentMethod.values:
            self.message_user(request, _("Choose how the money was received."), messages.ERROR)
            return
        run_service_action(
            self, request, queryset,
            lambda p: services.pledge_receive(pledge=p, actor=request.user, method=method),
            done=lambda n: ngettext("%(count)d pledge received.", "%(count)d pledges received.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Cancel the selected pledges"), permissions=["change"])
    def cancel_pledges(self, request, queryset):
        run_service_action(
            self, request, queryset,
            lambda p: services.pledge_cancel(pledge=p, actor=request.user),
            done=lambda n: ngettext("%(count)d pledge cancelled.", "%(count)d pledges cancelled.", n) % {"count": n},
        )


@admin.register(BudgetLine)
class BudgetLineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    fields = ("college", "term", "use", "amount", "spent")
    list_display = ("college", "term", "use", "amount", "spent", "left")
    list_filter = ("term", "use", ("college", RelatedOnlyFieldListFilter))
    list_select_related = ("college", "term")

    def get_readonly_fields(self, request, obj=None):
        return ("spent",) if obj is None else ("college", "term", "use", "spent")

    @admin.display(description=gettext_lazy("left"))
    def left(self, obj):
        return obj.remaining

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.budget_set(college=data["college"], term=data["term"], use=data["use"], amount=data["amount"], actor=request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # A new amount goes through the service: under the line's lock, never below what is spent.
        services.budget_set(college=obj.college, term=obj.term, use=obj.use, amount=form.cleaned_data["amount"], actor=request.user)


@admin.register(Expense)
class ExpenseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    action_form = FundsActionForm
    add_fields = ("college", "term", "use", "amount", "description", "receipt", "course", "session", "campaign")
    list_display = ("requested_at", "college", "use", "amount", "description", "status", "requested_by", "decided_by", "receipt_link")
    list_filter = ("status", "use", "term", ("college", RelatedOnlyFieldListFilter))
    list_select_related = ("college", "requested_by", "decided_by")
    raw_id_fields = ("session",)
    actions = ["approve_expenses", "reject_expenses"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "college", "term", "use", "amount", "description", "course", "session", "campaign", "receipt_link",
            "receipt_type", "status", "needs_second_approver", "requested_by", "requested_at", "decided_by",
            "decided_at", "reject_reason",
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return self.get_readonly_fields(request, obj)

    @admin.display(description=gettext_lazy("Receipt"))
    def receipt_link(self, obj):
        if not obj.receipt:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("funds:receipt", args=[obj.pk]), _("view"))

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.expense_request(
            college=data["college"], term=data["term"], use=data["use"], amount=data["amount"],
            description=data["description"], receipt=data.get("receipt") or None, course=data.get("course"),
            session=data.get("session"), campaign=data.get("campaign"), actor=request.user,
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) if obj is None else False

    @admin.action(description=gettext_lazy("Approve and post the selected expenses"), permissions=["change"])
    def approve_expenses(self, request, queryset):
        run_service_action(
            self, request, queryset,
            lambda e: services.expense_approve(expense=e, actor=request.user),
            done=lambda n: ngettext("%(count)d expense posted.", "%(count)d expenses posted.", n) % {"count": n},
        )

    @admin.action(description=gettext_lazy("Reject the selected expenses (give a reason)"), permissions=["change"])
    def reject_expenses(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Write the reason next to the action."), messages.ERROR)
            return
        run_service_action(
            self, request, queryset,
            lambda e: services.expense_reject(expense=e, actor=request.user, reason=reason),
            done=lambda n: ngettext("%(count)d expense rejected.", "%(count)d expenses rejected.", n) % {"count": n},
        )


@admin.register(StipendRate)
class StipendRateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = None  # the district's rate table: every staff member reads it, superusers set it
    list_display = ("kind", "hourly", "effective_from")
    list_filter = ("kind",)


class StipendLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = StipendLine
    fields = ("teacher", "kind", "sessions", "hours", "hourly", "amount")
    show_change_link = False


@admin.register(StipendBatch)
class StipendBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    staff_may_delete = False
    add_fields = ("college", "month")
    list_display = ("month", "college", "expense", "created_by")
    list_filter = (("college", RelatedOnlyFieldListFilter),)
    list_select_related = ("college", "expense", "created_by")
    inlines = [StipendLineInline]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("college", "month", "expense", "created_by", "created")

    def create_object(self, request, obj, form):
        data = form.cleaned_data
        return services.stipends_propose(college=data["college"], month=data["month"], actor=request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) if obj is None else False
