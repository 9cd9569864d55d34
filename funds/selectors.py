"""Reads of the fund: balances, budgets, the transparency report, the district's figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from activities.enums import SessionStatus
from activities.models import Attendance

from .enums import NON_FISCAL_SOURCES, CampaignStatus, PledgeStatus, Source, Use
from .models import BudgetLine, Campaign, CentsSum, Entry, Income, MonthTotal, Pledge, Posting


def balances(*, college_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Decimal]:
    """(college id, account code) → balance (debits − credits): one query over the monthly totals, which
    the nightly check (`ledger_problems`) holds equal to the entries."""
    totals = MonthTotal.objects.all()
    if college_ids is not None:
        totals = totals.filter(account__college_id__in=list(college_ids))
    rows = totals.values_list("account__college_id", "account__code").order_by().annotate(total=CentsSum("amount"))
    return {(college, code): total for college, code, total in rows}


def balances_from_entries(*, college_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Decimal]:
    """The same balances summed from every entry (the slow, direct way: checks and tests)."""
    entries = Entry.objects.all()
    if college_ids is not None:
        entries = entries.filter(account__college_id__in=list(college_ids))
    rows = entries.values_list("account__college_id", "account__code").order_by().annotate(total=CentsSum("amount"))
    return {(college, code): total for college, code, total in rows}


# --- The transparency report (公示) ---------------------------------------------------------------------------





ZERO = Decimal("0.00")


@dataclass
class MonthRow:
    month: date
    income: dict[str, Decimal] = field(default_factory=dict)
    spending: dict[str, Decimal] = field(default_factory=dict)

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)

    @property
    def spending_total(self) -> Decimal:
        return sum(self.spending.values(), ZERO)


@dataclass
class CampaignRow:
    id: int
    title: str
    purpose: str
    use: str
    target: Decimal
    deadline: date
    status: str
    raised: Decimal = ZERO
    spent: Decimal = ZERO
    pledged: Decimal = ZERO  # promised, not yet received
    givers: int = 0

    @property
    def progress(self) -> float:
        return float(self.raised / self.target) if self.target else 0.0


@dataclass
class Report:
    income: dict[str, Decimal]
    spending: dict[str, Decimal]
    months: list[MonthRow]
    campaigns: list[CampaignRow]
    named_donors: list[tuple[str, str, Decimal]]  # (name, source label, amount): only who chose to be named
    budget: dict[str, tuple[Decimal, Decimal]]  # use → (budget, spent)

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)

    @property
    def spending_total(self) -> Decimal:
        return sum(self.spending.values(), ZERO)

    @property
    def non_fiscal_share(self) -> float | None:
        total = self.income_total
        if not total:
            return None
        return float(sum((self.income.get(s, ZERO) for s in NON_FISCAL_SOURCES), ZERO) / total)


def _movement(code: str, amount: Decimal) -> tuple[str, Decimal] | None:
    """Income is credited (negative) and spending debited (positive): both read as positive figures."""
    if code in Source.values:
        return "income", -amount
    if code in Use.values:
        return "spending", amount
    return None


def campaign_rows(campaigns: list[Campaign]) -> list[CampaignRow]:
    """Raised (received, from the ledger), spent (expenses posted against the campaign) and still pledged."""
    rows = {
        c.pk: CampaignRow(c.pk, c.title, c.purpose, c.use, c.target, c.deadline, c.status) for c in campaigns
    }
    if not rows:
        return []
    ids = list(rows)
    for campaign_id, code, total in (
        Entry.objects.filter(posting__campaign_id__in=ids)
        .filter(Q(account__code=Source.CROWD) | Q(account__code__in=Use.values))
        .values_list("posting__campaign_id", "account__code")
        .order_by()
        .annotate(total=CentsSum("amount"))
    ):
        if code == Source.CROWD:
            rows[campaign_id].raised += -total
        else:
            rows[campaign_id].spent += total
    for campaign_id, status, total, n in (
        Pledge.objects.filter(campaign_id__in=ids, status__in=[PledgeStatus.PLEDGED, PledgeStatus.RECEIVED])
        .values_list("campaign_id", "status")
        .order_by()
        .annotate(total=CentsSum("amount"), n=Count("id"))
    ):
        if status == PledgeStatus.PLEDGED:
            rows[campaign_id].pledged += total
        rows[campaign_id].givers += n
    return list(rows.values())


def college_report(*, college_id: int, term) -> Report:
    """A college's funds in one term, as published: five queries whatever the number of postings."""
    income: dict[str, Decimal] = dict.fromkeys(Source.values, ZERO)
    spending: dict[str, Decimal] = dict.fromkeys(Use.values, ZERO)
    months: dict[date, MonthRow] = {}
    for code, month, total in (
        Entry.objects.filter(posting__college_id=college_id, posting__term=term)
        .annotate(month=TruncMonth("posting__occurred_on"))
        .values_list("account__code", "month")
        .order_by()
        .annotate(total=CentsSum("amount"))
    ):
        moved = _movement(code, total)
        if moved is None:
            continue
        side, value = moved
        month = month if isinstance(month, date) else month.date()
        row = months.setdefault(month, MonthRow(month))
        bucket = row.income if side == "income" else row.spending
        bucket[code] = bucket.get(code, ZERO) + value
        (income if side == "income" else spending)[code] += value
    campaigns = campaign_rows(list(Campaign.objects.filter(college_id=college_id).order_by("-created")))
    named: list[tuple[str, str, Decimal]] = []
    for name, source, amount in Income.objects.filter(
        college_id=college_id, publish_donor=True, postings__term=term, postings__kind__in=["income", "in_kind"]
    ).values_list("donor_name", "source", "amount"):
        named.append((name, str(Source(source).label), amount))
    for name, amount in (
        Pledge.objects.filter(campaign__college_id=college_id, status=PledgeStatus.RECEIVED)
        .exclude(public_name="")
        .filter(postings__term=term, postings__kind="donation")
        .values_list("public_name", "amount")
    ):
        named.append((name, str(Source.CROWD.label), amount))
    budget = {
        use: (amount, spent)
        for use, amount, spent in BudgetLine.objects.filter(college_id=college_id, term=term).values_list(
            "use", "amount", "spent"
        )
    }
    return Report(income, spending, [months[m] for m in sorted(months)], campaigns, named, budget)


# --- District figures: dashboards and the money pillar of the star rating ------------------------------------


@dataclass
class MoneyFigures:
    """One community's money in a window: income by source, spending, budgets in force, attended hours."""

    income: dict[str, Decimal] = field(default_factory=dict)
    spending: Decimal = ZERO
    budget: Decimal = ZERO
    budget_spent: Decimal = ZERO
    participant_hours: float = 0.0

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)

    @property
    def non_fiscal(self) -> Decimal:
        return sum((self.income.get(s, ZERO) for s in NON_FISCAL_SOURCES), ZERO)

    @property
    def cost_per_participant_hour(self) -> float | None:
        return float(self.spending) / self.participant_hours if self.participant_hours else None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def money_figures(*, start: date, end: date, community_ids=None) -> dict[int, MoneyFigures]:
    """community id → its money in the calendar months from `start`'s to the one before `end` (exclusive), with the budgets of the terms
    that overlap the window and the participant-hours attended at held sessions. Three queries."""
    figures: dict[int, MoneyFigures] = defaultdict(MoneyFigures)
    # Whole calendar months, from the monthly totals (a few rows per account, not every entry).
    totals = MonthTotal.objects.filter(month__gte=start.replace(day=1), month__lt=end)
    if community_ids is not None:
        totals = totals.filter(account__college__community_id__in=list(community_ids))
    for community, code, total in (
        totals.values_list("account__college__community_id", "account__code").order_by().annotate(total=CentsSum("amount"))
    ):
        moved = _movement(code, total)
        if moved is None:
            continue
        side, value = moved
        fig = figures[community]
        if side == "income":
            fig.income[code] = fig.income.get(code, ZERO) + value
        else:
            fig.spending += value
    lines = BudgetLine.objects.filter(term__starts_on__lt=end, term__ends_on__gte=start)
    if community_ids is not None:
        lines = lines.filter(college__community_id__in=list(community_ids))
    for community, amount, spent in (
        lines.values_list("college__community_id").order_by().annotate(a=CentsSum("amount"), s=CentsSum("spent"))
    ):
        figures[community].budget, figures[community].budget_spent = amount, spent
    duration = ExpressionWrapper(F("session__ends_at") - F("session__starts_at"), output_field=DurationField())
    attended = Attendance.objects.filter(
        attended=True,
        session__starts_at__gte=_day_start(start),
        session__starts_at__lt=_day_start(end),
    ).filter(
        Q(session__status=SessionStatus.HELD)
        | Q(session__status=SessionStatus.SCHEDULED, session__ends_at__lte=timezone.now())
    )
    if community_ids is not None:
        attended = attended.filter(session__course__community_id__in=list(community_ids))
    for community, total in (
        attended.values_list("session__course__community_id").order_by().annotate(total=Sum(duration))
    ):
        if total:
            figures[community].participant_hours = total.total_seconds() / 3600
    return dict(figures)


def open_campaigns(*, community_id: int | None = None, home_first: int | None = None):
    """Campaigns residents can pledge to now (their college and community loaded), soonest deadline first;
    with `home_first`, that community's campaigns before the others."""
    today = timezone.localdate()
    qs = Campaign.objects.filter(status=CampaignStatus.OPEN, deadline__gte=today).select_related("college__community")
    if community_id is not None:
        qs = qs.filter(college__community_id=community_id)
    if home_first is not None:
        qs = qs.annotate(
            _elsewhere=Case(When(college__community_id=home_first, then=Value(0)), default=Value(1))
        ).order_by("_elsewhere", "deadline", "id")
        return qs
    return qs.order_by("deadline", "id")


def month_window(day: date, months: int = 12) -> tuple[date, date]:
    """The `months` months ending with the month of `day`: (first day, first day after)."""
    end = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    start = end
    for _ in range(months):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


def ledger_entries(*, college_ids: Iterable[int] | None, term=None):
    """Every entry with its posting, for the finance office's export and the API (newest first)."""
    qs = Entry.objects.select_related("posting", "account", "posting__created_by", "posting__college")
    if college_ids is not None:
        qs = qs.filter(posting__college_id__in=list(college_ids))
    if term is not None:
        qs = qs.filter(posting__term=term)
    return qs.order_by("-posting__occurred_on", "-posting_id", "id")


def terms_with_postings(*, college_id: int):
    from activities.models import Term

    return Term.objects.filter(pk__in=Posting.objects.filter(college_id=college_id).values("term_id")).order_by("-starts_on")


def default_term(*, college_id: int):
    """The term in force today if the college has postings in it, else its latest term with postings."""
    from activities.models import Term

    today = timezone.localdate()
    current = (
        Term.objects.filter(starts_on__lte=today, ends_on__gte=today, district__streets__communities__college=college_id)
        .order_by("-starts_on")
        .first()
    )
    terms = list(terms_with_postings(college_id=college_id))
    if current is not None and (current in terms or not terms):
        return current
    return terms[0] if terms else None


def ledger_problems() -> list[str]:
    """The ledger's invariants read back from the rows (the nightly check): every posting has two or more
    entries summing to zero, and every budget line's `spent` is the net of what is posted against it."""
    problems = []
    for posting_id, total, n in (
        Entry.objects.values_list("posting_id").order_by().annotate(total=CentsSum("amount"), n=Count("id")).exclude(total=0)
    ):
        problems.append(f"posting {posting_id}: {n} entries sum to {total}")
    for posting_id in Posting.objects.annotate(n=Count("entries")).filter(n__lt=2).values_list("id", flat=True):
        problems.append(f"posting {posting_id}: fewer than two entries")
    posted = {
        (college, term, code): total
        for college, term, code, total in Entry.objects.filter(posting__expense__isnull=False, account__code__in=Use.values)
        .values_list("posting__expense__college_id", "posting__expense__term_id", "account__code")
        .order_by()
        .annotate(total=CentsSum("amount"))
    }
    by_month = {
        (account, month if not isinstance(month, datetime) else month.date()): (total, n)
        for account, month, total, n in Entry.objects.annotate(month=TruncMonth("posting__occurred_on"))
        .values_list("account_id", "month")
        .order_by()
        .annotate(total=CentsSum("amount"), n=Count("id"))
    }
    kept = {(a, m): (t, n) for a, m, t, n in MonthTotal.objects.values_list("account_id", "month", "amount", "entries")}
    for key in sorted(set(by_month) | set(kept), key=str):
        entries_total = by_month.get(key, (ZERO, 0))
        kept_total = kept.get(key, (ZERO, 0))
        if entries_total[0] != kept_total[0] or entries_total[1] != kept_total[1]:
            problems.append(f"account {key[0]} {key[1]:%Y-%m}: monthly total {kept_total[0]:.2f}, entries {entries_total[0]:.2f}")
    for line in BudgetLine.objects.all():
        net = posted.get((line.college_id, line.term_id, line.use), ZERO)
        if net != line.spent:
            problems.append(f"budget line {line.pk}: spent {line.spent:.2f}, posted {net:.2f}")
    return problems
