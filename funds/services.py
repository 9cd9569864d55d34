"""Writes of the fund: the ledger's postings and reversals, income, campaigns and pledges, budgets,
expenses and their approval, monthly stipends.

Every write that moves money goes through `posting_create`, which refuses an unbalanced posting before
the database is asked (the PostgreSQL constraint trigger would refuse it again at COMMIT; on SQLite the
balance is re-read inside the same transaction). Documents that change state (pledges, expenses, budget
lines) are locked with `select_for_update` before they are read, so two staff members clicking at once
cannot both receive one pledge, or both spend the last yuan of a budget line.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import College, User
from accounts.selectors import scope_for
from activities.enums import SessionStatus
from activities.models import Session, Term
from community_college.errors import ConflictError, InvalidTransition, ScopeError, field_error
from teachers.enums import TeacherSource

from . import signals
from .enums import (
    ACCOUNT_CODES,
    CampaignStatus,
    ExpenseStatus,
    Holding,
    PaymentMethod,
    PledgeStatus,
    PostingKind,
    ReversalReason,
    Source,
    StipendKind,
    Use,
    account_kind_of,
)
from .models import (
    CENT,
    Account,
    BudgetLine,
    Campaign,
    CentsSum,
    Entry,
    Expense,
    Income,
    MonthTotal,
    Pledge,
    Posting,
    StipendBatch,
    StipendLine,
    StipendRate,
)
from .receipts import receipt_type

# The largest single amount the portal accepts (a typo guard, not a policy): ten million yuan.
MAX_AMOUNT = Decimal("10000000")


# --- Helpers ------------------------------------------------------------------------------------------------


def _amount_error(field: str, message) -> ValidationError:
    return field_error(field, message, code="invalid_amount")


def money(value, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """`value` as yuan with two decimals; a ValidationError for anything that is not a positive amount.

    The error is keyed by `field` (for a form) and carries the code `invalid_amount` on that field's error.
    """
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise _amount_error(field, _("Enter an amount in yuan, such as 120.50.")) from None
    if not amount.is_finite():
        raise _amount_error(field, _("Enter an amount in yuan, such as 120.50."))
    if amount != amount.quantize(CENT):
        raise _amount_error(field, _("Amounts are in yuan and fen: at most two decimals."))
    amount = amount.quantize(CENT)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _amount_error(field, _("The amount must be more than zero."))
    if amount > MAX_AMOUNT:
        raise _amount_error(field, _("The amount is too large."))
    return amount


def _require_staff(actor: User, community_id: int) -> None:
    if not scope_for(actor).can_change_community(community_id):
        raise ScopeError(_("This college's funds are not yours to change."), code="scope")


def _college(college: College) -> College:
    if not hasattr(college, "community"):
        college = College.objects.select_related("community").get(pk=college.pk)
    return college


def term_of(day: date, *, college_id: int) -> Term | None:
    """The term of the college's district that `day` falls in (the latest starting one, if terms overlap)."""
    return (
        Term.objects.filter(starts_on__lte=day, ends_on__gte=day, district__streets__communities__college=college_id)
        .order_by("-starts_on")
        .first()
    )


def four_eyes_threshold() -> Decimal:
    return Decimal(str(settings.FUNDS_FOUR_EYES_THRESHOLD))


# --- The ledger ---------------------------------------------------------------------------------------------


def accounts_open(*, college: College) -> dict[str, Account]:
    """The college's chart of accounts, opening any that are missing (idempotent): code → Account."""
    existing = {a.code: a for a in Account.objects.filter(college=college)}
    missing = [code for code in ACCOUNT_CODES if code not in existing]
    if missing:
        Account.objects.bulk_create(
            [Account(college=college, code=code, kind=account_kind_of(code)) for code in missing],
            ignore_conflicts=True,
        )
        existing = {a.code: a for a in Account.objects.filter(college=college)}
    return existing


def posting_create(
    *,
    college: College,
    kind: str,
    lines: Sequence[tuple[str, Decimal]],
    actor: User,
    memo: str,
    occurred_on: date | None = None,
    reverses: Posting | None = None,
    reason: str = "",
    **links,
) -> Posting:
    """Post balanced `lines` ((account code, signed amount): debit +, credit −) as one posting.

    Refused unless there are at least two lines, none zero, all in cents, summing to zero. `links` name
    what the posting belongs to (income, pledge, campaign, expense, course, session).
    """
    if len(lines) < 2:
        raise ValidationError(_("A posting needs at least two entries."), code="unbalanced")
    amounts = []
    for code, amount in lines:
        if code not in ACCOUNT_CODES:
            raise ValidationError(_("Unknown account %(code)s.") % {"code": code}, code="unknown_account")
        value = Decimal(amount)
        if value == 0 or value != value.quantize(CENT):
            raise ValidationError(_("Every entry is a non-zero amount in yuan and fen."), code="invalid_amount")
        amounts.append(value)
    if sum(amounts) != 0:
        raise ValidationError(_("The entries of a posting must balance."), code="unbalanced")
    occurred_on = occurred_on or timezone.localdate()
    with transaction.atomic():
        chart = accounts_open(college=college)
        posting = Posting(
            college=college,
            kind=kind,
            occurred_on=occurred_on,
            term=term_of(occurred_on, college_id=college.pk),
            memo=(memo or "")[:300],
            created_by=actor,
            reverses=reverses,
            reason=reason,
            **links,
        )
        posting.full_clean(validate_unique=False, validate_constraints=False)
        posting.save()
        Entry.objects.bulk_create(
            [Entry(posting=posting, account=chart[code], amount=Decimal(amount)) for code, amount in lines]
        )
        _month_totals_add(occurred_on.replace(day=1), [(chart[code].pk, Decimal(amount)) for code, amount in lines])
        if connection.vendor != "postgresql":
            # PostgreSQL checks this at COMMIT (constraint trigger, migration 0002); elsewhere we check here,
            # under the same transaction, what was actually written.
            total = Entry.objects.filter(posting=posting).aggregate(total=CentsSum("amount"))["total"]
            if total != 0:
                raise IntegrityError(f"funds: posting {posting.pk} is not balanced ({total})")
    return posting


def _month_totals_add(month: date, legs: list[tuple[int, Decimal]]) -> None:
    """Add a posting's legs to the monthly totals: one upsert, rows taken in account order (no deadlock
    between two postings that touch the same accounts)."""
    merged: dict[int, list] = {}
    for account_id, amount in legs:
        row = merged.setdefault(account_id, [Decimal(0), 0])
        row[0] += amount
        row[1] += 1
    table = MonthTotal._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s)"] * len(merged))
    params = [p for account_id in sorted(merged) for p in (account_id, month, merged[account_id][0], merged[account_id][1])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, month, amount, entries) VALUES {values} "  # noqa: S608 - no user input
            f"ON CONFLICT (account_id, month) DO UPDATE SET amount = {table}.amount + EXCLUDED.amount, "
            f"entries = {table}.entries + EXCLUDED.entries",
            params,
        )


def month_totals_rebuild() -> int:
    """Rebuild every monthly total from the entries (after bulk loads that bypass `posting_create`)."""
    with transaction.atomic():
        MonthTotal.objects.all().delete()
        rows = (
            Entry.objects.annotate(month=TruncMonth("posting__occurred_on"))
            .values_list("account_id", "month")
            .order_by()
            .annotate(total=CentsSum("amount"), n=Count("id"))
        )
        objs = [
            MonthTotal(account_id=a, month=m if isinstance(m, date) and not isinstance(m, datetime) else m.date(), amount=t, entries=n)
            for a, m, t, n in rows
        ]
        MonthTotal.objects.bulk_create(objs, batch_size=5000)
    return len(objs)


def posting_reverse(*, posting: Posting, actor: User, reason: str, memo: str = "") -> Posting:
    """Post the opposite of `posting`, today, pointing at it. Nothing is reversed twice and a reversal is
    not itself reversed (post the correct entry again instead). An expense's budget line gets its money back."""
    if reason not in ReversalReason.values:
        raise field_error("reason", _("Choose why the posting is reversed."), code="invalid")
    with transaction.atomic():
        original = Posting.objects.select_for_update().select_related("college").get(pk=posting.pk)
        _require_staff(actor, original.college.community_id)
        if original.kind == PostingKind.REVERSAL:
            raise InvalidTransition(_("A reversal cannot be reversed: post the correct entry instead."), code="invalid_transition")
        if Posting.objects.filter(reverses=original).exists():
            raise ConflictError(_("This posting has already been reversed."), code="already_reversed")
        lines = [(code, -amount) for code, amount in original.entries.values_list("account__code", "amount")]
        try:
            with transaction.atomic():
                reversal = posting_create(
                    college=original.college,
                    kind=PostingKind.REVERSAL,
                    lines=lines,
                    actor=actor,
                    memo=memo or _("Reverses posting #%(id)s") % {"id": original.pk},
                    reverses=original,
                    reason=reason,
                    income_id=original.income_id,
                    pledge_id=original.pledge_id,
                    campaign_id=original.campaign_id,
                    expense_id=original.expense_id,
                    course_id=original.course_id,
                    session_id=original.session_id,
                )
        except IntegrityError:
            # The unique `reverses` column: another reversal was committed between our check and our insert.
            raise ConflictError(_("This posting has already been reversed."), code="already_reversed") from None
        if original.expense_id and original.kind in (PostingKind.EXPENSE, PostingKind.STIPENDS):
            expense = Expense.objects.select_for_update().get(pk=original.expense_id)
            spent = sum(-a for c, a in lines if c in Use.values)
            line = BudgetLine.objects.select_for_update().get(college_id=expense.college_id, term_id=expense.term_id, use=expense.use)
            BudgetLine.objects.filter(pk=line.pk).update(spent=F("spent") - spent)
            Expense.objects.filter(pk=expense.pk).update(status=ExpenseStatus.REVERSED)
    return reversal


# --- Income -------------------------------------------------------------------------------------------------


def income_record(
    *,
    college: College,
    source: str,
    donor_kind: str,
    donor_name: str,
    amount,
    actor: User,
    received_on: date | None = None,
    memo: str = "",
    department=None,
    publish_donor: bool = False,
    item: str = "",
    value_basis: str = "",
) -> Income:
    """Record a fiscal grant, an allocation or a gift (in kind at a stated value with its basis) and post it.

    Money goes to cash; a gift in kind to its own holding account, so it never counts as spendable cash.
    Crowd-funded money comes only through a campaign's pledges (`pledge_receive`).
    """
    college = _college(college)
    _require_staff(actor, college.community_id)
    if source == Source.CROWD:
        raise field_error(
            "source",
            _("Crowd-funded money is received through a campaign's pledges."),
            code="invalid",
        )
    amount = money(amount)
    income = Income(
        college=college,
        source=source,
        donor_kind=donor_kind,
        donor_name=(donor_name or "").strip(),
        department=department,
        publish_donor=publish_donor,
        amount=amount,
        received_on=received_on or timezone.localdate(),
        item=(item or "").strip(),
        value_basis=(value_basis or "").strip(),
        memo=memo,
        recorded_by=actor,
    )
    if source == Source.IN_KIND and not (income.item and income.value_basis):
        raise field_error(
            "value_basis",
            _("A gift in kind needs the item and how its value was set."),
            code="in_kind_basis",
        )
    income.full_clean()
    held = Holding.IN_KIND if source == Source.IN_KIND else Holding.CASH
    kind = PostingKind.IN_KIND if source == Source.IN_KIND else PostingKind.INCOME
    with transaction.atomic():
        income.save()
        posting_create(
            college=college,
            kind=kind,
            lines=[(held, amount), (source, -amount)],
            actor=actor,
            memo=memo or f"{income.get_source_display()} · {income.donor_name}",
            occurred_on=income.received_on,
            income=income,
        )
    return income


# --- Campaigns and pledges -----------------------------------------------------------------------------------


def campaign_create(
    *, college: College, title: str, purpose: str, use: str, target, deadline: date, actor: User, course=None
) -> Campaign:
    """Open a crowd-funding campaign for one purpose, with a target and a deadline for pledges."""
    college = _college(college)
    _require_staff(actor, college.community_id)
    if course is not None and course.community_id != college.community_id:
        raise field_error("course", _("The class belongs to another community."), code="invalid")
    if deadline and deadline < timezone.localdate():
        raise field_error("deadline", _("The deadline cannot be in the past."), code="invalid")
    campaign = Campaign(
        college=college,
        title=(title or "").strip(),
        purpose=(purpose or "").strip(),
        use=use,
        target=money(target, field="target"),
        deadline=deadline,
        course=course,
        created_by=actor,
    )
    campaign.full_clean()
    campaign.save()
    return campaign


def campaign_close(*, campaign: Campaign, actor: User) -> Campaign:
    """Stop taking pledges. Pledges already made can still be received."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("college").get(pk=campaign.pk)
        _require_staff(actor, locked.college.community_id)
        if locked.status == CampaignStatus.CLOSED:
            raise InvalidTransition(_("The campaign is already closed."), code="invalid_transition")
        locked.status = CampaignStatus.CLOSED
        locked.save(update_fields=["status"])
    return locked


def pledge_create(
    *, campaign: Campaign, amount, pledger: User | None, public_name: str = "", unit_name: str = "",
    actor: User | None = None,
) -> Pledge:
    """A resident (or a unit, through a resident or staff) promises money to an open campaign.

    Nothing is posted: the money is not there yet. `public_name` is published only if the giver typed it;
    empty means anonymous.
    """
    today = timezone.localdate()
    if campaign.status != CampaignStatus.OPEN or campaign.deadline < today:
        raise ConflictError(_("This campaign no longer takes pledges."), code="campaign_closed")
    if actor is not None and actor != pledger:
        _require_staff(actor, campaign.college.community_id)
    pledge = Pledge(
        campaign=campaign,
        pledger=pledger,
        amount=money(amount),
        public_name=(public_name or "").strip(),
        unit_name=(unit_name or "").strip(),
    )
    pledge.full_clean()
    pledge.save()
    return pledge


def _pledge_step(pledge: Pledge, allowed: set[str], target: str) -> Pledge:
    locked = Pledge.objects.select_for_update().select_related("campaign__college").get(pk=pledge.pk)
    if locked.status not in allowed:
        raise InvalidTransition(
            _("A pledge that is “%(current)s” cannot become “%(target)s”.")
            % {"current": PledgeStatus(locked.status).label, "target": PledgeStatus(target).label},
            code="invalid_transition",
        )
    return locked


def pledge_receive(
    *, pledge: Pledge, actor: User, method: str, received_on: date | None = None, reference: str = ""
) -> Pledge:
    """Staff confirm the money of a pledge arrived (cash, transfer, terminal): post it as crowd-funded
    income of the campaign and thank the giver by notice once committed. A late payment of an expired
    pledge is still received."""
    if method not in PaymentMethod.values:
        raise field_error("method", _("Choose how the money was received."), code="invalid")
    with transaction.atomic():
        locked = _pledge_step(pledge, {PledgeStatus.PLEDGED, PledgeStatus.EXPIRED}, PledgeStatus.RECEIVED)
        college = locked.campaign.college
        _require_staff(actor, college.community_id)
        now = timezone.now()
        locked.status = PledgeStatus.RECEIVED
        locked.method = method
        locked.gateway_reference = (reference or "")[:100]
        locked.received_at = now
        locked.received_by = actor
        locked.save(update_fields=["status", "method", "gateway_reference", "received_at", "received_by"])
        posting_create(
            college=college,
            kind=PostingKind.DONATION,
            lines=[(Holding.CASH, locked.amount), (Source.CROWD, -locked.amount)],
            actor=actor,
            memo=_("Pledge #%(id)s to “%(campaign)s”") % {"id": locked.pk, "campaign": locked.campaign.title},
            occurred_on=received_on or timezone.localdate(),
            pledge=locked,
            campaign=locked.campaign,
            course_id=locked.campaign.course_id,
        )
        if locked.pledger_id:
            # Notices thanks the giver (through the outbox, after commit).
            signals.pledge_received.send(sender=Pledge, pledge_id=locked.pk)
    return locked


def pledge_cancel(*, pledge: Pledge, actor: User) -> Pledge:
    """The giver (or staff) withdraws a pledge that has not been received."""
    with transaction.atomic():
        locked = _pledge_step(pledge, {PledgeStatus.PLEDGED}, PledgeStatus.CANCELLED)
        if actor.pk != locked.pledger_id:
            _require_staff(actor, locked.campaign.college.community_id)
        locked.status = PledgeStatus.CANCELLED
        locked.save(update_fields=["status"])
    return locked


def pledges_expire(*, today: date | None = None) -> int:
    """Pledges still open FUNDS_PLEDGE_GRACE_DAYS after their campaign's deadline expire (one UPDATE)."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=int(getattr(settings, "FUNDS_PLEDGE_GRACE_DAYS", 30)))
    return Pledge.objects.filter(status=PledgeStatus.PLEDGED, campaign__deadline__lt=cutoff).update(
        status=PledgeStatus.EXPIRED
    )


# --- Budgets and expenses ------------------------------------------------------------------------------------


def budget_set(*, college: College, term: Term, use: str, amount, actor: User) -> BudgetLine:
    """Set what the college may spend on `use` this term; never below what is already spent."""
    college = _college(college)
    _require_staff(actor, college.community_id)
    if use not in Use.values:
        raise field_error("use", _("Choose a use."), code="invalid")
    amount = money(amount, allow_zero=True)
    with transaction.atomic():
        line, _created = BudgetLine.objects.get_or_create(college=college, term=term, use=use, defaults={"amount": amount})
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        if amount < line.spent:
            raise ConflictError(
                _("%(spent)s yuan of this line is already spent: the budget cannot be lower.") % {"spent": line.spent},
                code="budget_below_spent",
            )
        line.amount = amount
        line.save(update_fields=["amount"])
    return line


def expense_request(
    *,
    college: College,
    term: Term,
    use: str,
    amount,
    description: str,
    actor: User,
    receipt=None,
    course=None,
    session=None,
    campaign: Campaign | None = None,
) -> Expense:
    """Staff ask to spend: a receipt (JPEG, PNG or PDF, size-checked) and what it is for. Above the
    four-eyes threshold another staff member must approve."""
    college = _college(college)
    _require_staff(actor, college.community_id)
    if receipt is None:
        raise field_error("receipt", _("Attach the receipt (a photo or a PDF)."), code="receipt_missing")
    content_type = receipt_type(receipt)
    if course is not None and course.community_id != college.community_id:
        raise field_error("course", _("The class belongs to another community."), code="invalid")
    if session is not None and session.course.community_id != college.community_id:
        raise field_error("session", _("The session belongs to another community."), code="invalid")
    if campaign is not None and campaign.college_id != college.pk:
        raise field_error("campaign", _("The campaign belongs to another college."), code="invalid")
    amount = money(amount)
    expense = Expense(
        college=college,
        term=term,
        use=use,
        amount=amount,
        description=(description or "").strip(),
        course=course or (session.course if session is not None else None),
        session=session,
        campaign=campaign,
        receipt_type=content_type,
        needs_second_approver=amount > four_eyes_threshold(),
        requested_by=actor,
    )
    expense.receipt = receipt
    expense.full_clean(exclude=["receipt"])
    expense.save()
    return expense


def expense_approve(*, expense: Expense, actor: User) -> Expense:
    """Approve and post an expense against its budget line.

    Locks the expense, then the budget line, so two approvals racing for the last yuan are serialised: the
    second sees what the first spent and is refused. Above the threshold the requester cannot approve.
    """
    with transaction.atomic():
        locked = Expense.objects.select_for_update().select_related("college").get(pk=expense.pk)
        _require_staff(actor, locked.college.community_id)
        if locked.status != ExpenseStatus.REQUESTED:
            raise InvalidTransition(_("This expense has already been decided."), code="invalid_transition")
        if locked.needs_second_approver and locked.requested_by_id == actor.pk:
            raise ValidationError(
                _("Above %(limit)s yuan a second staff member must approve: not the one who asked.")
                % {"limit": four_eyes_threshold()},
                code="four_eyes",
            )
        line = (
            BudgetLine.objects.select_for_update()
            .filter(college_id=locked.college_id, term_id=locked.term_id, use=locked.use)
            .first()
        )
        if line is None:
            raise ConflictError(_("There is no budget for this use in this term."), code="no_budget")
        if line.spent + locked.amount > line.amount:
            raise ConflictError(
                _("Only %(left)s yuan is left on this budget line.") % {"left": line.amount - line.spent},
                code="budget_exceeded",
            )
        BudgetLine.objects.filter(pk=line.pk).update(spent=F("spent") + locked.amount)
        now = timezone.now()
        locked.status = ExpenseStatus.POSTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        is_stipends = hasattr(locked, "stipend_batch")
        posting_create(
            college=locked.college,
            kind=PostingKind.STIPENDS if is_stipends else PostingKind.EXPENSE,
            lines=[(locked.use, locked.amount), (Holding.CASH, -locked.amount)],
            actor=actor,
            memo=locked.description,
            expense=locked,
            campaign_id=locked.campaign_id,
            course_id=locked.course_id,
            session_id=locked.session_id,
        )
    return locked


def expense_reject(*, expense: Expense, actor: User, reason: str) -> Expense:
    """Refuse a requested expense, with the reason; nothing is posted."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the expense is rejected."), code="invalid")
    with transaction.atomic():
        locked = Expense.objects.select_for_update().select_related("college").get(pk=expense.pk)
        _require_staff(actor, locked.college.community_id)
        if locked.status != ExpenseStatus.REQUESTED:
            raise InvalidTransition(_("This expense has already been decided."), code="invalid_transition")
        locked.status = ExpenseStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.reject_reason = reason[:300]
        if locked.needs_second_approver and locked.requested_by_id == actor.pk:
            # Withdrawing one's own request is allowed; the four-eyes constraint is about approving.
            locked.needs_second_approver = False
        locked.save(update_fields=["status", "decided_by", "decided_at", "reject_reason", "needs_second_approver"])
    return locked


# --- Teacher stipends ----------------------------------------------------------------------------------------


def stipend_kind_of(teacher) -> str:
    if teacher.source == TeacherSource.VOLUNTEER_TEAM:
        return StipendKind.VOLUNTEER
    return StipendKind(teacher.kind).value


def _rates(on: date) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for kind, hourly in StipendRate.objects.filter(effective_from__lte=on).order_by("kind", "-effective_from").values_list(
        "kind", "hourly"
    ):
        rates.setdefault(kind, hourly)
    rates[StipendKind.VOLUNTEER] = Decimal("0")
    return rates


def stipends_compute(*, college: College, month: date, now: datetime | None = None) -> list[StipendLine]:
    """The month's stipend lines (unsaved): per teacher, held sessions × hours × the rate of their kind."""
    now = now or timezone.now()
    start = month.replace(day=1)
    last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    end_at = timezone.make_aware(datetime.combine(last + timedelta(days=1), datetime.min.time()))
    sessions = (
        Session.objects.filter(
            course__community_id=college.community_id,
            course__teacher__isnull=False,
            starts_at__gte=start_at,
            starts_at__lt=end_at,
        )
        .filter(status=SessionStatus.HELD)
        .select_related("course__teacher")
        .order_by("course__teacher_id", "starts_at")
    )
    rates = _rates(last)
    per_teacher: dict[int, list] = defaultdict(list)
    teachers = {}
    for session in sessions:
        teacher = session.course.teacher
        teachers[teacher.pk] = teacher
        per_teacher[teacher.pk].append(session)
    lines = []
    for teacher_id, held in per_teacher.items():
        teacher = teachers[teacher_id]
        kind = stipend_kind_of(teacher)
        seconds = sum((s.ends_at - s.starts_at).total_seconds() for s in held)
        hours = (Decimal(seconds) / Decimal(3600)).quantize(CENT, rounding=ROUND_HALF_UP)
        hourly = rates.get(kind, Decimal("0"))
        lines.append(
            StipendLine(
                teacher=teacher,
                kind=kind,
                sessions=len(held),
                hours=hours,
                hourly=hourly,
                amount=(hours * hourly).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
    return lines


def stipends_propose(*, college: College, month: date, actor: User) -> StipendBatch:
    """Propose one month's stipends of a college as one batch and one expense waiting for approval.

    Once a month per college (the database holds it); volunteers appear with 0. A month without anything
    to pay gets a batch without an expense, so it is not proposed again.
    """
    college = _college(college)
    _require_staff(actor, college.community_id)
    month = month.replace(day=1)
    if month >= timezone.localdate().replace(day=1):
        raise field_error("month", _("Stipends are proposed once the month is over."), code="month_not_over")
    lines = stipends_compute(college=college, month=month)
    total = sum((line.amount for line in lines), Decimal("0"))
    term = term_of(month, college_id=college.pk) or term_of(
        month.replace(day=calendar.monthrange(month.year, month.month)[1]), college_id=college.pk
    )
    if total > 0 and term is None:
        raise ValidationError(_("No term covers this month: add the term first."), code="no_term")
    with transaction.atomic():
        if StipendBatch.objects.filter(college=college, month=month).exists():
            raise ConflictError(_("This month's stipends have already been proposed."), code="already_proposed")
        expense = None
        if total > 0:
            expense = Expense(
                college=college,
                term=term,
                use=Use.STIPENDS,
                amount=total,
                description=_("Teacher stipends, %(month)s") % {"month": month.strftime("%Y-%m")},
                needs_second_approver=total > four_eyes_threshold(),
                requested_by=actor,
            )
            expense.full_clean(exclude=["receipt"])
            expense.save()
        try:
            with transaction.atomic():
                batch = StipendBatch.objects.create(college=college, month=month, expense=expense, created_by=actor)
        except IntegrityError:
            raise ConflictError(_("This month's stipends have already been proposed."), code="already_proposed") from None
        for line in lines:
            line.batch = batch
        StipendLine.objects.bulk_create(lines)
    return batch


# --- Online payment (optional; see funds/gateway.py) -----------------------------------------------------------


def pledge_checkout(*, pledge: Pledge, gateway=None) -> str:
    """Start an online payment of a pledge; returns the provider's URL. Raises GatewayUnavailable offline."""
    from .gateway import get_gateway

    gateway = gateway or get_gateway()
    checkout = gateway.checkout(pledge)
    Pledge.objects.filter(pk=pledge.pk, status=PledgeStatus.PLEDGED).update(gateway_reference=checkout.reference[:100])
    return checkout.url


def pledge_settle(*, pledge: Pledge, reference: str, actor: User, gateway=None) -> Pledge:
    """The provider says the money of `reference` arrived: receive the pledge as staff would (idempotent:
    a second callback finds it received and changes nothing)."""
    from .gateway import get_gateway

    gateway = gateway or get_gateway()
    current = Pledge.objects.get(pk=pledge.pk)
    if current.status == PledgeStatus.RECEIVED:
        return current
    if not reference or reference != current.gateway_reference or not gateway.confirmed(reference):
        raise ValidationError(_("The payment provider has not confirmed this payment."), code="not_confirmed")
    return pledge_receive(pledge=current, actor=actor, method=PaymentMethod.GATEWAY, reference=reference)
