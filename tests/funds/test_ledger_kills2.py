"""Reversals, second round (issue 23): a reversal that loses the race to another one is refused with the
code `already_reversed` and writes nothing; an expense-kind posting that belongs to no expense gives no
budget line money back. Two colleges each time; the rows that were not the target are compared."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from community_college.errors import ConflictError
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
from funds.models import Account, BudgetLine, Entry, Expense, MonthTotal, Posting

from .conftest import png

pytestmark = pytest.mark.django_db


def _grant(college, staff, amount="800"):
    return services.income_record(
        college=college,
        source=Source.FISCAL,
        donor_kind=DonorKind.GOVERNMENT,
        donor_name="区财政",
        amount=amount,
        actor=staff,
    )


def _ledger():
    return (
        sorted(Posting.objects.values_list("pk", "college_id", "kind", "reverses_id")),
        sorted(Entry.objects.values_list("posting_id", "account__code", "amount")),
        sorted(MonthTotal.objects.values_list("account_id", "month", "amount", "entries")),
    )


def test_a_reversal_that_loses_the_race_is_refused_and_writes_nothing(
    college, other, staff, other_staff, monkeypatch
):
    mine, theirs = _grant(college, staff).postings.get(), _grant(other, other_staff).postings.get()
    before = _ledger()
    real_create = services.posting_create

    def another_reversal_first(**kwargs):
        # Another request's reversal of the same posting lands between the check and this insert.
        real_create(**{**kwargs, "memo": "另一位工作人员"})
        return real_create(**kwargs)

    monkeypatch.setattr(services, "posting_create", another_reversal_first)
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        services.posting_reverse(posting=mine, actor=staff, reason=ReversalReason.ERROR)
    assert (refused.value.messages, refused.value.code) == (
        ["This posting has already been reversed."],
        "already_reversed",
    )
    assert _ledger() == before
    monkeypatch.setattr(services, "posting_create", real_create)
    # The other college's posting is still reversible, once.
    reversal = services.posting_reverse(posting=theirs, actor=other_staff, reason=ReversalReason.ERROR)
    assert list(Posting.objects.filter(reverses__isnull=False).values_list("pk", "reverses_id")) == [
        (reversal.pk, theirs.pk)
    ]


def test_reversing_an_expense_kind_posting_of_no_expense_leaves_budgets_and_expenses_alone(
    college, other, staff, other_staff, term
):
    lines = [
        services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=staff),
        services.budget_set(college=other, term=term, use=Use.MATERIALS, amount="1000", actor=other_staff),
    ]
    expenses = []
    for who, actor in ((college, staff), (other, other_staff)):
        expense = services.expense_request(
            college=who,
            term=term,
            use=Use.MATERIALS,
            amount="100",
            description="纸",
            actor=actor,
            receipt=png(),
        )
        services.expense_approve(expense=expense, actor=actor)
        expenses.append(expense)
    loose = services.posting_create(
        college=college,
        kind=PostingKind.EXPENSE,
        lines=[(Use.MATERIALS, Decimal("25")), (Holding.CASH, Decimal("-25"))],
        actor=staff,
        memo="手工记账",
    )
    reversal = services.posting_reverse(posting=loose, actor=staff, reason=ReversalReason.ERROR)
    assert (reversal.reverses_id, reversal.expense_id) == (loose.pk, None)
    assert dict(BudgetLine.objects.values_list("pk", "spent")) == {
        line.pk: Decimal("100.00") for line in lines
    }
    assert dict(Expense.objects.values_list("pk", "status")) == {e.pk: ExpenseStatus.POSTED for e in expenses}


@pytest.mark.parametrize("memo", ["", None])
def test_a_posting_without_a_memo_is_refused_and_writes_nothing(college, other, staff, other_staff, memo):
    theirs = _grant(other, other_staff).postings.get()
    before = _ledger()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.posting_create(
            college=college,
            kind=PostingKind.INCOME,
            lines=[(Holding.CASH, Decimal("5")), (Source.FISCAL, Decimal("-5"))],
            actor=staff,
            memo=memo,
        )
    assert list(refused.value.message_dict) == ["memo"]
    assert _ledger() == before
    assert Posting.objects.get().pk == theirs.pk


def test_accounts_open_of_a_full_chart_reads_it_in_one_query(college, other, django_assert_num_queries):
    services.accounts_open(college=college)
    services.accounts_open(college=other)
    # 1. SELECT the college's accounts (nothing missing: no INSERT, no second read)
    with django_assert_num_queries(1):
        chart = services.accounts_open(college=college)
    assert {account.college_id for account in chart.values()} == {college.pk}
    assert sorted(chart) == sorted(ACCOUNT_CODES)


def test_accounts_open_while_another_request_opens_an_account_of_the_chart(college, other, monkeypatch):
    """An account written between the read and the insert (another request opening the chart at the same
    moment) is kept, and the rest are opened without an error."""
    services.accounts_open(college=other)
    theirs = sorted(Account.objects.filter(college=other).values_list("pk", "code"))
    real_kind_of = services.account_kind_of
    raced = []

    def kind_of(code):
        if not raced:
            raced.append(Account.objects.create(college=college, code=code, kind=real_kind_of(code)))
        return real_kind_of(code)

    monkeypatch.setattr(services, "account_kind_of", kind_of)
    chart = services.accounts_open(college=college)
    assert sorted(chart) == sorted(ACCOUNT_CODES)
    assert chart[raced[0].code].pk == raced[0].pk
    assert Account.objects.filter(college=college).count() == len(ACCOUNT_CODES)
    assert sorted(Account.objects.filter(college=other).values_list("pk", "code")) == theirs
