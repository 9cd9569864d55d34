"""The vocabulary of the fund: account kinds and codes, posting kinds, statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _

CURRENCY = "CNY"


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Held (asset)")
    INCOME = "income", _("Income by source")
    EXPENSE = "expense", _("Spending by use")


class Source(models.TextChoices):
    """财政保障一部分、调度分配一部分、社会众筹一部分, and gifts in kind."""

    FISCAL = "fiscal", _("Fiscal budget")
    ALLOCATED = "allocated", _("Allocated by departments and units")
    CROWD = "crowd", _("Crowd-funded")
    IN_KIND = "in_kind", _("In kind")


NON_FISCAL_SOURCES = (Source.ALLOCATED, Source.CROWD, Source.IN_KIND)


class Use(models.TextChoices):
    STIPENDS = "stipends", _("Teacher stipends")
    MATERIALS = "materials", _("Materials")
    VENUE_FEES = "venue_fees", _("Venue fees")
    EQUIPMENT = "equipment", _("Equipment")
    EVENTS = "events", _("Events")


class Holding(models.TextChoices):
    # Gifts in kind are held apart from cash, so a lent room never looks like money that can be spent.
    CASH = "cash", _("Cash and bank")
    IN_KIND = "in_kind_held", _("Gifts in kind held")


def account_kind_of(code: str) -> str:
    if code in Holding.values:
        return AccountKind.ASSET
    if code in Source.values:
        return AccountKind.INCOME
    return AccountKind.EXPENSE


ACCOUNT_CODES = [*Holding.values, *Source.values, *Use.values]
ACCOUNT_CODE_CHOICES = [*Holding.choices, *Source.choices, *Use.choices]


class PostingKind(models.TextChoices):
    INCOME = "income", _("Income")
    DONATION = "donation", _("Donation received")
    IN_KIND = "in_kind", _("Gift in kind")
    EXPENSE = "expense", _("Expense")
    STIPENDS = "stipends", _("Teacher stipends")
    REVERSAL = "reversal", _("Reversal")


class ReversalReason(models.TextChoices):
    """Why a posting was reversed (after Open Collective's refund kinds)."""

    ERROR = "error", _("Entered in error")
    DUPLICATE = "duplicate", _("Duplicate")
    REFUND = "refund", _("Refunded to the giver")
    REJECTED = "rejected", _("Rejected after posting")


class DonorKind(models.TextChoices):
    GOVERNMENT = "government", _("Fiscal budget (government)")
    DEPARTMENT = "department", _("District department")
    UNIT = "unit", _("Resident unit (company, school, organisation)")
    ENTERPRISE = "enterprise", _("Enterprise")
    RESIDENT = "resident", _("Resident")


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open for pledges")
    CLOSED = "closed", _("Closed")


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    RECEIVED = "received", _("Received")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer")
    TERMINAL = "terminal", _("Payment terminal")
    GATEWAY = "gateway", _("Online payment")


class ExpenseStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    POSTED = "posted", _("Approved and posted")
    REJECTED = "rejected", _("Rejected")
    REVERSED = "reversed", _("Posted, then reversed")


class StipendKind(models.TextChoices):
    """The rate table's key: a teacher's kind, with volunteers apart (they are paid nothing)."""

    GRASSROOTS = "grassroots", _("Grassroots teacher")
    PROFESSIONAL = "professional", _("Professional teacher")
    VOLUNTEER = "volunteer", _("Volunteer")
