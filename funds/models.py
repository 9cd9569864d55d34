"""A fund per college, kept as a double-entry ledger.

- `Account`: per college, one for each holding (cash; gifts in kind, held apart from cash), each source of
  income (fiscal, allocated, crowd-funded, in kind) and each use (stipends, materials, venue fees, equipment,
  events). Accounts are a fixed chart: rows are made by `services.accounts_open`, never by hand.
- `Posting`: one movement (who, when, why, what it belongs to), with two or more `Entry` rows whose signed
  amounts (debit +, credit −) sum to zero. Posted rows are never changed or deleted: a mistake is corrected
  by a reversing posting that points at the original (`reverses`, unique, so nothing is reversed twice).
  The database holds this: check constraints per row, and on PostgreSQL a deferred constraint trigger that
  checks every posting's balance at COMMIT and triggers that refuse UPDATE and DELETE (migration 0002);
  on SQLite the service checks the balance under the same transaction and a trigger refuses UPDATE.
- Documents outside the ledger, which do change state: campaigns and pledges (money promised is not money
  received: only a received pledge posts), income records (the register of grants, allocations and gifts
  in kind, with the donor), budget lines, expenses with their receipts, stipend batches.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import (
    ACCOUNT_CODE_CHOICES,
    ACCOUNT_CODES,
    CURRENCY,
    AccountKind,
    CampaignStatus,
    DonorKind,
    ExpenseStatus,
    PaymentMethod,
    PledgeStatus,
    PostingKind,
    ReversalReason,
    Source,
    StipendKind,
    Use,
)
from .storage import receipts_storage

MONEY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")


def _to_cents(value, expression, connection):
    return None if value is None else Decimal(value).quantize(CENT)


class CentsSum(models.Sum):
    """A sum of yuan amounts, exact to the cent on every database.

    SQLite adds decimal columns as binary floats, and Django quantizes only plain columns read back, not
    aggregates: 0.1 + 0.2 − 0.3 came back as 5.5e-17, so a balanced posting looked unbalanced and a
    balance was off by a fraction of a cent. PostgreSQL's numeric sum is already exact; rounding it to
    the cent changes nothing.
    """

    def __init__(self, expression, **extra):
        extra.setdefault("output_field", models.DecimalField(max_digits=16, decimal_places=2))
        super().__init__(expression, **extra)

    @property
    def convert_value(self):
        return _to_cents


class ImmutableError(Exception):
    """Raised when code tries to change or delete a posted ledger row."""


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("Ledger rows are append-only: post a reversal instead.")

    def delete(self):
        raise ImmutableError("Ledger rows are append-only: post a reversal instead.")


class AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("Ledger rows are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Ledger rows are append-only: post a reversal instead.")


class Account(models.Model):
    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="fund_accounts"
    )
    code = models.CharField(_("account"), max_length=20, choices=ACCOUNT_CODE_CHOICES)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)

    class Meta:
        verbose_name = _("fund account")
        verbose_name_plural = _("fund accounts")
        ordering = ["college", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["college", "code"], name="fund_account_once_per_college"),
            models.CheckConstraint(condition=Q(code__in=ACCOUNT_CODES), name="fund_account_code_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.college_id} · {self.get_code_display()}"


class Campaign(models.Model):
    """A crowd-funding appeal for one purpose: a class's materials, an instrument, a showcase event."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=100)
    purpose = models.TextField(_("what the money is for"))
    use = models.CharField(_("spent on"), max_length=20, choices=Use.choices)
    target = models.DecimalField(_("target (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("1"))])
    deadline = models.DateField(_("pledges until"))
    course = models.ForeignKey(
        "activities.Course", verbose_name=_("class"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("crowd-funding campaign")
        verbose_name_plural = _("crowd-funding campaigns")
        ordering = ["-created", "-id"]
        constraints = [models.CheckConstraint(condition=Q(target__gt=0), name="campaign_target_positive")]

    def __str__(self) -> str:
        return self.title

    @property
    def community_id(self):
        return self.college.community_id


class Pledge(models.Model):
    """A promise to give to a campaign. It stays outside the ledger until staff confirm the money arrived."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="pledges")
    pledger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pledges",
    )
    unit_name = models.CharField(
        _("on behalf of (unit)"), max_length=100, blank=True, help_text=_("A company, school or organisation.")
    )
    public_name = models.CharField(
        _("name to publish"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the gift is listed as anonymous. Only what the giver typed here is ever published."),
    )
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED)
    method = models.CharField(_("received by"), max_length=10, choices=PaymentMethod.choices, blank=True)
    gateway_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    created = models.DateTimeField(_("pledged at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receipt confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PledgeStatus.values), name="pledge_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=PledgeStatus.RECEIVED) | Q(received_at__isnull=False, received_by__isnull=False),
                name="pledge_received_is_stamped",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="pledge_campaign_status_idx")]

    def __str__(self) -> str:
        return f"{self.campaign} · ¥{self.amount}"

    @property
    def is_anonymous(self) -> bool:
        return not self.public_name


class Income(models.Model):
    """The register of income other than pledges: grants, allocations, gifts, and gifts in kind at a
    stated value with its basis. Each row has exactly one posting."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="incomes"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    donor_kind = models.CharField(_("given by"), max_length=12, choices=DonorKind.choices)
    donor_name = models.CharField(_("donor"), max_length=100)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    publish_donor = models.BooleanField(
        _("donor agreed to be named"), default=False, help_text=_("Only then does the public page show the name.")
    )
    amount = models.DecimalField(_("amount or stated value (yuan)"), **MONEY)
    received_on = models.DateField(_("received on"))
    item = models.CharField(_("item given in kind"), max_length=200, blank=True)
    value_basis = models.CharField(
        _("basis of the stated value"),
        max_length=300,
        blank=True,
        help_text=_("For gifts in kind: how the value was set (market rent, invoice, quote …)."),
    )
    memo = models.CharField(_("why"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("income")
        verbose_name_plural = _("income register")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="income_amount_positive"),
            # A gift in kind states what it is and how it was valued; money does not.
            models.CheckConstraint(
                condition=~Q(source=Source.IN_KIND) | (~Q(item="") & ~Q(value_basis="")),
                name="income_in_kind_has_basis",
            ),
            models.CheckConstraint(condition=~Q(source=Source.CROWD), name="income_crowd_comes_from_pledges"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} · ¥{self.amount}"


class BudgetLine(models.Model):
    """What a college may spend on one use in one term. `spent` moves only inside `expense_approve` and
    reversals, under a row lock; the database refuses a line below zero."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="budget_lines"
    )
    term = models.ForeignKey("activities.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+")
    use = models.CharField(_("use"), max_length=20, choices=Use.choices)
    amount = models.DecimalField(_("budget (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    spent = models.DecimalField(_("spent (yuan)"), **MONEY, default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["college", "term", "use"]
        constraints = [
            models.UniqueConstraint(fields=["college", "term", "use"], name="budget_line_once"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="budget_spent_not_negative"),
            models.CheckConstraint(condition=Q(spent__lte=F("amount")), name="budget_line_not_below_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.get_use_display()}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.spent


class Expense(models.Model):
    """A spend requested by staff with its receipt, approved (by a second person above the threshold) and
    then posted against the budget line of its term and use."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="expenses"
    )
    term = models.ForeignKey("activities.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+")
    use = models.CharField(_("use"), max_length=20, choices=Use.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    description = models.CharField(_("what for"), max_length=300)
    course = models.ForeignKey(
        "activities.Course", verbose_name=_("class"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "activities.Session", verbose_name=_("session"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True, related_name="expenses"
    )
    receipt = models.FileField(_("receipt"), storage=receipts_storage, upload_to="%Y/%m/", blank=True, max_length=200)
    receipt_type = models.CharField(_("receipt type"), max_length=40, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.REQUESTED
    )
    needs_second_approver = models.BooleanField(_("four eyes"), default=False, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=ExpenseStatus.values), name="expense_status_valid"),
            models.CheckConstraint(
                condition=Q(needs_second_approver=False) | Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="expense_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status=ExpenseStatus.REQUESTED) | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="expense_decision_is_stamped",
            ),
        ]
        indexes = [models.Index(fields=["college", "status"], name="expense_college_status_idx")]

    def __str__(self) -> str:
        return f"{self.description} · ¥{self.amount}"


class StipendRate(models.Model):
    """The district's rate table: yuan per teaching hour by teacher kind (volunteers are paid 0)."""

    kind = models.CharField(_("teacher kind"), max_length=20, choices=StipendKind.choices)
    hourly = models.DecimalField(_("yuan per hour"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField(_("from"))

    class Meta:
        verbose_name = _("stipend rate")
        verbose_name_plural = _("stipend rates")
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="stipend_rate_once"),
            models.CheckConstraint(condition=Q(hourly__gte=0), name="stipend_rate_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind=StipendKind.VOLUNTEER) | Q(hourly=0), name="stipend_volunteers_unpaid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · ¥{self.hourly}/h"


class StipendBatch(models.Model):
    """One month's stipends of a college, computed from held sessions and proposed as one expense."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="stipend_batches"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    expense = models.OneToOneField(
        Expense, verbose_name=_("expense"), on_delete=models.PROTECT, null=True, blank=True, related_name="stipend_batch"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("proposed at"), default=timezone.now)

    class Meta:
        verbose_name = _("stipend batch")
        verbose_name_plural = _("stipend batches")
        ordering = ["-month", "college"]
        constraints = [models.UniqueConstraint(fields=["college", "month"], name="stipend_batch_once_a_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Choose the first day of a month.")})


class StipendLine(models.Model):
    batch = models.ForeignKey(StipendBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="lines")
    teacher = models.ForeignKey("teachers.Teacher", verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("paid as"), max_length=20, choices=StipendKind.choices)
    sessions = models.PositiveIntegerField(_("sessions held"))
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2)
    hourly = models.DecimalField(_("yuan per hour"), **MONEY)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("stipend line")
        verbose_name_plural = _("stipend lines")
        ordering = ["batch", "teacher"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "teacher"], name="stipend_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · ¥{self.amount}"


class Posting(AppendOnly):
    """One balanced movement of money between a college's accounts: who, when, why, and what for."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("college"), on_delete=models.PROTECT, related_name="postings"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PostingKind.choices)
    occurred_on = models.DateField(_("date"))
    term = models.ForeignKey(
        "activities.Term", verbose_name=_("term"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    memo = models.CharField(_("why"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("posted by"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("posted at"), default=timezone.now)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(_("reason for reversing"), max_length=10, choices=ReversalReason.choices, blank=True)
    income = models.ForeignKey(Income, verbose_name=_("income"), on_delete=models.PROTECT, null=True, blank=True, related_name="postings")
    pledge = models.ForeignKey(Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, null=True, blank=True, related_name="postings")
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    expense = models.ForeignKey(
        Expense, verbose_name=_("expense (receipt)"), on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    course = models.ForeignKey(
        "activities.Course", verbose_name=_("class"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "activities.Session", verbose_name=_("session"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("ledger postings")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=PostingKind.REVERSAL) & Q(reverses__isnull=False) & ~Q(reason=""))
                | (~Q(kind=PostingKind.REVERSAL) & Q(reverses__isnull=True)),
                name="posting_reversal_points_at_original",
            ),
            models.CheckConstraint(condition=~Q(memo=""), name="posting_says_why"),
        ]
        indexes = [models.Index(fields=["college", "occurred_on"], name="posting_college_day_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.occurred_on}"


class Entry(AppendOnly):
    """One leg of a posting: a signed amount on one account (debit positive, credit negative)."""

    posting = models.ForeignKey(Posting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("amount (yuan, debit +)"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY, editable=False)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["posting", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="entry_currency_cny"),
        ]
        indexes = [models.Index(fields=["account", "amount"], name="entry_account_amount_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+}"


class MonthTotal(models.Model):
    """Derived: the net of an account's entries in one calendar month, kept by `services.posting_create` in
    the posting's transaction (and rebuilt from the entries by `services.month_totals_rebuild`), so that the
    district's figures read thousands of rows instead of every entry. The nightly check compares them."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="month_totals")
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("net amount (yuan, debit +)"), max_digits=16, decimal_places=2, default=Decimal("0"))
    entries = models.PositiveIntegerField(_("entries"), default=0)

    class Meta:
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")
        ordering = ["account", "month"]
        constraints = [models.UniqueConstraint(fields=["account", "month"], name="month_total_once")]
        indexes = [models.Index(fields=["month", "account"], name="month_total_month_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.month:%Y-%m} {self.amount}"
