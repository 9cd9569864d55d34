"""The ledger's rules with two colleges in two districts (issue 23): amounts, postings, monthly totals and
reversals touch the college, accounts, month, budget line and expense they are about, and nothing else."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from community_college.errors import ConflictError, InvalidTransition, ScopeError
from funds import services
from funds.enums import (
    ACCOUNT_CODES,
    DonorKind,
    ExpenseStatus,
    Holding,
    PostingKind,
    ReversalReason,
    Source,
    Use,
)
from funds.models import Account, BudgetLine, Entry, Expense, MonthTotal, Posting, StipendBatch
from tests.factories.accounts import DistrictFactory
from tests.factories.activities import CourseFactory, SessionFactory, TermFactory
from tests.factories.pairs import snapshot

from .conftest import png

pytestmark = pytest.mark.django_db


def _post(college, staff, lines, **kw):
    kw.setdefault("memo", "测试")
    return services.posting_create(college=college, kind=PostingKind.INCOME, lines=lines, actor=staff, **kw)


def _totals(college):
    return {
        (code, month): (amount, n)
        for code, month, amount, n in MonthTotal.objects.filter(account__college=college).values_list(
            "account__code", "month", "amount", "entries"
        )
    }


def _messages(excinfo):
    error = excinfo.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


# --- money ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120.5", Decimal("120.50")),
        (Decimal("0.01"), Decimal("0.01")),
        (7, Decimal("7.00")),
        ("10000000", Decimal("10000000.00")),
    ],
)
def test_money_accepts_yuan_and_fen_up_to_the_limit(value, expected):
    amount = services.money(value)
    assert amount == expected and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter an amount in yuan, such as 120.50."),
        (None, "Enter an amount in yuan, such as 120.50."),
        ("Infinity", "Enter an amount in yuan, such as 120.50."),
        ("NaN", "Enter an amount in yuan, such as 120.50."),
        ("1.234", "Amounts are in yuan and fen: at most two decimals."),
        ("0", "The amount must be more than zero."),
        ("-0.01", "The amount must be more than zero."),
        ("10000000.01", "The amount is too large."),
    ],
)
def test_money_refuses_with_the_field_and_the_reason(value, message):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.money(value, field="target")
    assert excinfo.value.message_dict == {"target": [message]}


def test_money_zero_only_when_allowed():
    assert services.money("0", allow_zero=True) == Decimal("0.00")
    assert services.money(Decimal("0.00"), allow_zero=True) == 0
    with pytest.raises(ValidationError) as excinfo:
        services.money("-1", allow_zero=True)
    assert "amount" in excinfo.value.message_dict


# --- accounts and postings -----------------------------------------------------------------------------------


def test_accounts_open_fills_in_what_is_missing_and_keeps_the_rest(college, other):
    services.accounts_open(college=other)
    theirs = snapshot(Account.objects.filter(college=other), "code", "kind")
    cash = Account.objects.create(college=college, code=Holding.CASH, kind="asset")
    chart = services.accounts_open(college=college)
    assert sorted(chart) == sorted(ACCOUNT_CODES)
    assert chart[Holding.CASH].pk == cash.pk
    assert all(account.college_id == college.pk and account.code == code for code, account in chart.items())
    assert chart[Use.MATERIALS].kind == "expense" and chart[Source.FISCAL].kind == "income"
    assert Account.objects.filter(college=college).count() == len(ACCOUNT_CODES)
    assert snapshot(Account.objects.filter(college=other), "code", "kind") == theirs


def test_posting_create_posts_to_that_colleges_accounts(college, other, staff):
    services.accounts_open(college=other)
    day = timezone.localdate() - dt.timedelta(days=3)
    posting = _post(
        college,
        staff,
        [("cash", Decimal("30")), ("fiscal", Decimal("-30"))],
        occurred_on=day,
        memo="拨款" * 200,
    )
    row = Posting.objects.get(pk=posting.pk)
    assert (row.college_id, row.kind, row.occurred_on, row.created_by_id) == (
        college.pk,
        PostingKind.INCOME,
        day,
        staff.pk,
    )
    assert row.memo == "拨款" * 150
    assert (row.reverses_id, row.reason) == (None, "")
    assert sorted(row.entries.values_list("account__college", "account__code", "amount")) == [
        (college.pk, "cash", Decimal("30.00")),
        (college.pk, "fiscal", Decimal("-30.00")),
    ]
    assert not Entry.objects.filter(account__college=other).exists()
    assert _totals(other) == {}


def test_posting_create_dates_today_by_default(college, staff):
    posting = _post(college, staff, [("cash", Decimal("1")), ("allocated", Decimal("-1"))])
    assert Posting.objects.get(pk=posting.pk).occurred_on == timezone.localdate()


def test_posting_create_files_the_posting_under_its_own_districts_term(college, other, staff):
    today = timezone.localdate()
    district = college.community.street.district
    TermFactory(
        district=district, starts_on=today - dt.timedelta(days=200), ends_on=today + dt.timedelta(days=10)
    )
    latest = TermFactory(
        district=district, starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=30)
    )
    # Another district's term, starting later still: not the college's.
    elsewhere = DistrictFactory(name="渝北区", code="yubei")
    theirs = TermFactory(district=elsewhere, starts_on=today - dt.timedelta(days=5), ends_on=today)
    mine = _post(college, staff, [("cash", Decimal("5")), ("fiscal", Decimal("-5"))])
    assert Posting.objects.get(pk=mine.pk).term_id == latest.pk
    before = _post(
        college,
        staff,
        [("cash", Decimal("5")), ("fiscal", Decimal("-5"))],
        occurred_on=today - dt.timedelta(days=300),
    )
    assert Posting.objects.get(pk=before.pk).term_id is None
    assert theirs.pk not in Posting.objects.values_list("term_id", flat=True)


def test_posting_create_links_what_it_belongs_to(college, staff):
    session = SessionFactory(course__community=college.community)
    posting = _post(
        college,
        staff,
        [("cash", Decimal("9")), ("fiscal", Decimal("-9"))],
        course=session.course,
        session=session,
    )
    row = Posting.objects.get(pk=posting.pk)
    assert (row.course_id, row.session_id) == (session.course_id, session.pk)


@pytest.mark.parametrize(
    ("lines", "code", "message"),
    [
        ([("cash", Decimal("10"))], "unbalanced", "A posting needs at least two entries."),
        ([], "unbalanced", "A posting needs at least two entries."),
        ([("cash", "10"), ("till", "-10")], "unknown_account", "Unknown account till."),
        (
            [("cash", "10"), ("fiscal", "0"), ("allocated", "-10")],
            "invalid_amount",
            "Every entry is a non-zero amount in yuan and fen.",
        ),
        (
            [("cash", "10.005"), ("fiscal", "-10.005")],
            "invalid_amount",
            "Every entry is a non-zero amount in yuan and fen.",
        ),
        ([("cash", "10"), ("fiscal", "-9.99")], "unbalanced", "The entries of a posting must balance."),
        (
            [("cash", "10"), ("fiscal", "-5"), ("allocated", "-4")],
            "unbalanced",
            "The entries of a posting must balance.",
        ),
    ],
)
def test_posting_create_refuses_and_writes_nothing(college, staff, lines, code, message):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        _post(college, staff, lines)
    assert (excinfo.value.messages, excinfo.value.code) == ([message], code)
    assert not Posting.objects.exists() and not Entry.objects.exists() and not MonthTotal.objects.exists()


def test_posting_create_of_three_legs(college, staff):
    posting = _post(college, staff, [("cash", "10"), ("fiscal", "-4"), ("allocated", "-6")])
    assert sorted(posting.entries.values_list("account__code", "amount")) == [
        ("allocated", Decimal("-6.00")),
        ("cash", Decimal("10.00")),
        ("fiscal", Decimal("-4.00")),
    ]


# --- monthly totals ------------------------------------------------------------------------------------------


def test_month_totals_per_account_and_month_of_that_college(college, other, staff, other_staff):
    march, april = dt.date(2026, 3, 15), dt.date(2026, 4, 2)
    # Two legs on one account in one posting are added up, and counted as two entries.
    _post(college, staff, [("cash", "10"), ("cash", "5"), ("fiscal", "-15")], occurred_on=march)
    _post(college, staff, [("cash", "2.5"), ("allocated", "-2.5")], occurred_on=dt.date(2026, 3, 31))
    _post(college, staff, [("cash", "7"), ("fiscal", "-7")], occurred_on=april)
    _post(other, other_staff, [("cash", "100"), ("fiscal", "-100")], occurred_on=march)
    m3, m4 = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    assert _totals(college) == {
        ("cash", m3): (Decimal("17.50"), 3),
        ("fiscal", m3): (Decimal("-15.00"), 1),
        ("allocated", m3): (Decimal("-2.50"), 1),
        ("cash", m4): (Decimal("7.00"), 1),
        ("fiscal", m4): (Decimal("-7.00"), 1),
    }
    assert _totals(other) == {("cash", m3): (Decimal("100.00"), 1), ("fiscal", m3): (Decimal("-100.00"), 1)}


def test_month_totals_rebuild_gives_back_what_the_postings_kept(college, other, staff, other_staff):
    _post(
        college, staff, [("cash", "10"), ("cash", "5"), ("fiscal", "-15")], occurred_on=dt.date(2026, 3, 15)
    )
    _post(college, staff, [("cash", "7"), ("fiscal", "-7")], occurred_on=dt.date(2026, 4, 2))
    _post(other, other_staff, [("cash", "100"), ("fiscal", "-100")], occurred_on=dt.date(2026, 3, 9))
    kept = (_totals(college), _totals(other))
    MonthTotal.objects.filter(account__college=college, account__code="cash").update(
        amount=Decimal("1"), entries=9
    )
    MonthTotal.objects.filter(account__college=other).delete()
    MonthTotal.objects.create(
        account=Account.objects.get(college=other, code="allocated"), month=dt.date(2026, 1, 1)
    )
    assert services.month_totals_rebuild() == 6
    assert (_totals(college), _totals(other)) == kept
    assert all(
        isinstance(m, dt.date) and not isinstance(m, dt.datetime)
        for m in MonthTotal.objects.values_list("month", flat=True)
    )


# --- reversals -----------------------------------------------------------------------------------------------


def _grant(college, staff, amount="800"):
    return services.income_record(
        college=college,
        source=Source.FISCAL,
        donor_kind=DonorKind.GOVERNMENT,
        donor_name="区财政",
        amount=amount,
        actor=staff,
    )


def test_posting_reverse_reverses_that_posting_only(college, other, staff, other_staff):
    mine, second = _grant(college, staff).postings.get(), _grant(college, staff, "50").postings.get()
    theirs = _grant(other, other_staff).postings.get()
    before = _totals(other)
    with translation.override("en"):
        reversal = services.posting_reverse(posting=mine, actor=staff, reason=ReversalReason.REFUND)
    row = Posting.objects.get(pk=reversal.pk)
    assert (row.college_id, row.kind, row.reverses_id, row.reason, row.created_by_id) == (
        college.pk,
        PostingKind.REVERSAL,
        mine.pk,
        ReversalReason.REFUND,
        staff.pk,
    )
    assert row.memo == f"Reverses posting #{mine.pk}"
    assert row.occurred_on == timezone.localdate()
    assert row.income_id == mine.income_id is not None
    assert sorted(row.entries.values_list("account__code", "amount")) == [
        ("cash", Decimal("-800.00")),
        ("fiscal", Decimal("800.00")),
    ]
    assert not Posting.objects.filter(reverses__in=[second, theirs]).exists()
    assert _totals(other) == before
    # The other postings may still be reversed.
    services.posting_reverse(posting=second, actor=staff, reason=ReversalReason.ERROR, memo="重复录入")
    assert Posting.objects.get(reverses=second).memo == "重复录入"


def test_posting_reverse_carries_every_link(college, staff, term):
    session = SessionFactory(course__community=college.community)
    campaign = services.campaign_create(
        college=college,
        title="买鼓",
        purpose="腰鼓队",
        use=Use.EQUIPMENT,
        target="900",
        deadline=term.ends_on,
        actor=staff,
    )
    income = _grant(college, staff, "12")
    posting = _post(
        college,
        staff,
        [("cash", "12"), ("fiscal", "-12")],
        income=income,
        campaign=campaign,
        course=session.course,
        session=session,
    )
    reversal = services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    row = Posting.objects.get(pk=reversal.pk)
    assert (row.income_id, row.campaign_id, row.course_id, row.session_id, row.pledge_id, row.expense_id) == (
        income.pk,
        campaign.pk,
        session.course_id,
        session.pk,
        None,
        None,
    )


def test_posting_reverse_carries_the_pledge(college, staff, resident, term):
    campaign = services.campaign_create(
        college=college,
        title="买琴",
        purpose="民乐班",
        use=Use.EQUIPMENT,
        target="900",
        deadline=term.ends_on,
        actor=staff,
    )
    pledge = services.pledge_create(campaign=campaign, amount="60", pledger=resident)
    posting = _post(college, staff, [("cash", "60"), ("crowd", "-60")], pledge=pledge, campaign=campaign)
    reversal = services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.REFUND)
    assert (reversal.pledge_id, reversal.campaign_id) == (pledge.pk, campaign.pk)


@pytest.mark.parametrize("reason", ["", "mistake", None])
def test_posting_reverse_needs_a_reason(college, staff, reason):
    posting = _grant(college, staff).postings.get()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.posting_reverse(posting=posting, actor=staff, reason=reason)
    assert excinfo.value.message_dict == {"reason": ["Choose why the posting is reversed."]}
    assert [error.code for error in excinfo.value.error_dict["reason"]] == ["invalid"]
    assert Posting.objects.count() == 1


def test_posting_reverse_by_another_colleges_staff_is_refused(college, other, staff, other_staff):
    mine, theirs = _grant(college, staff).postings.get(), _grant(other, other_staff).postings.get()
    with pytest.raises(ScopeError):
        services.posting_reverse(posting=mine, actor=other_staff, reason=ReversalReason.ERROR)
    assert Posting.objects.count() == 2
    # Their own posting they may reverse.
    assert (
        services.posting_reverse(posting=theirs, actor=other_staff, reason=ReversalReason.ERROR).reverses_id
        == theirs.pk
    )


def test_posting_reverse_refusals_say_why(college, staff):
    posting = _grant(college, staff).postings.get()
    reversal = services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    assert (excinfo.value.messages, excinfo.value.code) == (
        ["This posting has already been reversed."],
        "already_reversed",
    )
    with translation.override("en"), pytest.raises(InvalidTransition) as excinfo:
        services.posting_reverse(posting=reversal, actor=staff, reason=ReversalReason.ERROR)
    assert excinfo.value.code == "invalid_transition"
    assert excinfo.value.messages == ["A reversal cannot be reversed: post the correct entry instead."]


def test_reversing_an_expense_gives_back_to_its_own_budget_line_only(
    college, other, staff, staff2, other_staff, term
):
    later = TermFactory(
        starts_on=term.ends_on + dt.timedelta(days=1), ends_on=term.ends_on + dt.timedelta(days=100)
    )
    lines = [
        services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=staff),
        services.budget_set(college=college, term=term, use=Use.EVENTS, amount="1000", actor=staff),
        services.budget_set(college=college, term=later, use=Use.MATERIALS, amount="1000", actor=staff),
        services.budget_set(college=other, term=term, use=Use.MATERIALS, amount="1000", actor=other_staff),
    ]
    spends = [
        (college, staff, term, Use.MATERIALS, "300"),
        (college, staff, term, Use.MATERIALS, "200"),
        (college, staff, term, Use.EVENTS, "40"),
        (college, staff, later, Use.MATERIALS, "30"),
        (other, other_staff, term, Use.MATERIALS, "20"),
    ]
    expenses = []
    for who, actor, when, use, amount in spends:
        expense = services.expense_request(
            college=who, term=when, use=use, amount=amount, description="材料", actor=actor, receipt=png()
        )
        services.expense_approve(expense=expense, actor=actor)
        expenses.append(expense)
    target = expenses[0]
    services.posting_reverse(posting=target.postings.get(), actor=staff2, reason=ReversalReason.REJECTED)
    spent = dict(BudgetLine.objects.values_list("pk", "spent"))
    assert [spent[line.pk] for line in lines] == [
        Decimal("200.00"),
        Decimal("40.00"),
        Decimal("30.00"),
        Decimal("20.00"),
    ]
    statuses = dict(Expense.objects.values_list("pk", "status"))
    assert statuses == {
        e.pk: ExpenseStatus.REVERSED if e == target else ExpenseStatus.POSTED for e in expenses
    }
    assert Posting.objects.get(reverses__expense=target).expense_id == target.pk


def test_reversing_income_leaves_budget_lines_and_expenses_alone(college, staff, term):
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=staff)
    expense = services.expense_request(
        college=college,
        term=term,
        use=Use.MATERIALS,
        amount="100",
        description="纸",
        actor=staff,
        receipt=png(),
    )
    services.expense_approve(expense=expense, actor=staff)
    services.posting_reverse(
        posting=_grant(college, staff).postings.get(), actor=staff, reason=ReversalReason.ERROR
    )
    assert BudgetLine.objects.get().spent == Decimal("100.00")
    assert Expense.objects.get().status == ExpenseStatus.POSTED


def test_a_course_in_another_community_is_not_linked_by_accident(college, other, staff):
    """Postings carry the links they are given: a posting without a class has none."""
    CourseFactory(community=college.community)
    posting = _post(college, staff, [("cash", "3"), ("fiscal", "-3")])
    row = Posting.objects.get(pk=posting.pk)
    assert (row.course_id, row.session_id, row.income_id, row.expense_id) == (None, None, None, None)


def test_reversing_stipends_gives_back_to_the_stipends_line(college, staff, staff2, term):
    stipends = services.budget_set(college=college, term=term, use=Use.STIPENDS, amount="5000", actor=staff)
    materials = services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="5000", actor=staff)
    expense = Expense.objects.create(
        college=college,
        term=term,
        use=Use.STIPENDS,
        amount=Decimal("1200"),
        description="教师补贴",
        needs_second_approver=True,
        requested_by=staff,
    )
    StipendBatch.objects.create(college=college, month=dt.date(2026, 1, 1), expense=expense, created_by=staff)
    services.expense_approve(expense=expense, actor=staff2)
    posting = expense.postings.get()
    assert posting.kind == PostingKind.STIPENDS
    services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    spent = dict(BudgetLine.objects.values_list("pk", "spent"))
    assert (spent[stipends.pk], spent[materials.pk]) == (Decimal("0.00"), Decimal("0.00"))
    assert Expense.objects.get(pk=expense.pk).status == ExpenseStatus.REVERSED


def test_posting_reverse_reads_the_college_with_the_posting(college, staff):
    """The locked posting comes with its college (the scope check and the reversal need it): no second read."""
    posting = _grant(college, staff).postings.get()
    with CaptureQueriesContext(connection) as ctx:
        services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    # (Validating the reversal checks that the college exists: `SELECT 1 AS "a"`, not a read of the row.)
    assert [
        sql for sql in reads if 'FROM "accounts_college"' in sql and not sql.startswith('SELECT 1 AS "a"')
    ] == []
    assert any('FROM "funds_posting" INNER JOIN "accounts_college"' in sql for sql in reads)
