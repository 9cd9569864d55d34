"""The ledger: balanced, append-only postings; reversals; income and its holdings; the database's guard."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from community_college.errors import ConflictError, InvalidTransition, ScopeError
from funds import selectors, services
from funds.enums import DonorKind, Holding, PostingKind, ReversalReason, Source
from funds.models import Account, Entry, ImmutableError, Income, Posting

pytestmark = pytest.mark.django_db


def _grant(college, staff, amount="1000.00", **kw):
    return services.income_record(
        college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政",
        amount=amount, actor=staff, **kw,
    )


def test_income_posts_cash_against_its_source(college, other, staff):
    income = _grant(college, staff, "1200.50")
    posting = income.postings.get()
    assert sorted(posting.entries.values_list("account__code", "amount")) == [
        ("cash", Decimal("1200.50")), ("fiscal", Decimal("-1200.50"))
    ]
    balances = selectors.balances(college_ids=[college.pk])
    assert balances[(college.pk, Holding.CASH)] == Decimal("1200.50")
    assert balances[(college.pk, Source.FISCAL)] == Decimal("-1200.50")
    assert not Posting.objects.filter(college=other).exists()


def test_gift_in_kind_is_held_apart_from_cash(college, staff):
    services.income_record(
        college=college, source=Source.IN_KIND, donor_kind=DonorKind.ENTERPRISE, donor_name="某物业公司",
        amount="3000", actor=staff, item="会议室（每周两次）", value_basis="市场租金 150 元/小时 × 20 小时",
    )
    balances = selectors.balances(college_ids=[college.pk])
    assert balances.get((college.pk, Holding.CASH), Decimal(0)) == 0
    assert balances[(college.pk, Holding.IN_KIND)] == Decimal("3000.00")


def test_gift_in_kind_without_basis_is_refused(college, staff):
    with pytest.raises(ValidationError) as exc:
        services.income_record(
            college=college, source=Source.IN_KIND, donor_kind=DonorKind.UNIT, donor_name="某小学",
            amount="500", actor=staff, item="桌椅",
        )
    assert "value_basis" in exc.value.message_dict
    assert not Income.objects.exists() and not Posting.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc", "NaN", "100000000"])
def test_income_with_a_bad_amount_is_refused_and_nothing_is_saved(college, staff, amount):
    with pytest.raises(ValidationError):
        _grant(college, staff, amount)
    assert not Income.objects.exists() and not Posting.objects.exists() and not Entry.objects.exists()


def test_crowd_money_only_comes_through_pledges(college, staff):
    with pytest.raises(ValidationError):
        services.income_record(
            college=college, source=Source.CROWD, donor_kind=DonorKind.RESIDENT, donor_name="x", amount="5", actor=staff
        )


def test_staff_of_another_community_cannot_record_income(college, other_staff):
    with pytest.raises(ScopeError):
        _grant(college, other_staff)
    assert not Posting.objects.exists()


def test_district_office_reads_but_cannot_post(college, district_officer):
    with pytest.raises(ScopeError):
        _grant(college, district_officer)


def test_unbalanced_posting_is_refused_by_the_service(college, staff):
    with pytest.raises(ValidationError):
        services.posting_create(
            college=college, kind=PostingKind.INCOME, lines=[("cash", Decimal("10")), ("fiscal", Decimal("-9"))],
            actor=staff, memo="x",
        )
    with pytest.raises(ValidationError):
        services.posting_create(college=college, kind=PostingKind.INCOME, lines=[("cash", Decimal("10"))], actor=staff, memo="x")
    assert not Posting.objects.exists()


def test_posted_rows_cannot_be_changed_or_deleted(college, staff):
    posting = _grant(college, staff).postings.get()
    entry = posting.entries.first()
    with pytest.raises(ImmutableError):
        posting.memo = "changed"
        posting.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(ImmutableError):
        Posting.objects.all().delete()


def test_the_database_refuses_an_update_behind_the_models_back(college, staff):
    posting = _grant(college, staff).postings.get()
    entry = posting.entries.first()
    with pytest.raises(Exception) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_entry SET amount = 1 WHERE id = %s", [entry.pk])
    assert "append-only" in str(exc.value)
    assert Entry.objects.get(pk=entry.pk).amount == entry.amount


def test_reversal_negates_the_original_and_points_at_it(college, staff):
    posting = _grant(college, staff, "800").postings.get()
    reversal = services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    assert reversal.reverses_id == posting.pk and reversal.kind == PostingKind.REVERSAL
    assert sorted(reversal.entries.values_list("account__code", "amount")) == [
        ("cash", Decimal("-800.00")), ("fiscal", Decimal("800.00"))
    ]
    balances = selectors.balances(college_ids=[college.pk])
    assert balances[(college.pk, Holding.CASH)] == 0


def test_nothing_is_reversed_twice_and_reversals_are_not_reversed(college, staff):
    posting = _grant(college, staff).postings.get()
    reversal = services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.DUPLICATE)
    with pytest.raises(ConflictError):
        services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.DUPLICATE)
    with pytest.raises(InvalidTransition):
        services.posting_reverse(posting=reversal, actor=staff, reason=ReversalReason.ERROR)
    assert Posting.objects.count() == 2


def test_the_database_refuses_a_second_reversal(college, staff):
    posting = _grant(college, staff).postings.get()
    services.posting_reverse(posting=posting, actor=staff, reason=ReversalReason.ERROR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(
            college=college, kind=PostingKind.REVERSAL, occurred_on=posting.occurred_on, memo="again",
            created_by=staff, reverses=posting, reason=ReversalReason.ERROR,
        )


def test_accounts_are_opened_once_per_college(college, other):
    first = services.accounts_open(college=college)
    again = services.accounts_open(college=college)
    assert {a.pk for a in first.values()} == {a.pk for a in again.values()}
    assert Account.objects.filter(college=college).count() == 11
    assert not Account.objects.filter(college=other).exists()


def test_nightly_check_finds_nothing_in_a_sound_ledger_and_a_tampered_budget_line(college, staff, staff2, term):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from funds.enums import Use
    from funds.models import BudgetLine

    from .conftest import png

    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="100", actor=staff)
    expense = services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="60", description="x", actor=staff, receipt=png())
    services.expense_approve(expense=expense, actor=staff2)
    assert selectors.ledger_problems() == []
    call_command("funds_check")
    BudgetLine.objects.update(spent=Decimal("10"))  # behind the services' back
    assert selectors.ledger_problems() == [f"budget line {BudgetLine.objects.get().pk}: spent 10.00, posted 60.00"]
    with pytest.raises(CommandError):
        call_command("funds_check")
