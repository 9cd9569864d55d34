"""What only PostgreSQL shows: the deferred balance trigger at COMMIT, and row locks under real threads."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from funds import services
from funds.enums import DonorKind, ExpenseStatus, PostingKind, Source, Use
from funds.models import BudgetLine, Entry, Expense, Posting
from tests.factories.accounts import CollegeFactory, StaffFactory
from tests.factories.activities import TermFactory

from .conftest import png

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_unbalanced_posting_fails_at_commit(on_postgres):
    college = CollegeFactory()
    staff = StaffFactory(community=college.community)
    chart = services.accounts_open(college=college)
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        posting = Posting.objects.create(college=college, kind=PostingKind.INCOME, occurred_on="2026-10-01", memo="x", created_by=staff)
        # Legs may be written one by one: the check waits for COMMIT, when this one is still alone.
        Entry.objects.create(posting=posting, account=chart["cash"], amount=Decimal("10"))
        Entry.objects.create(posting=posting, account=chart["fiscal"], amount=Decimal("-9"))
    assert "not balanced" in str(exc.value)
    assert not Posting.objects.exists()


def test_a_posting_without_entries_fails_at_commit(on_postgres):
    college = CollegeFactory()
    staff = StaffFactory(community=college.community)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(college=college, kind=PostingKind.INCOME, occurred_on="2026-10-01", memo="x", created_by=staff)
    assert not Posting.objects.exists()


def test_an_entry_on_another_colleges_account_fails_at_commit(on_postgres):
    college, other = CollegeFactory(), CollegeFactory()
    staff = StaffFactory(community=college.community)
    mine, theirs = services.accounts_open(college=college), services.accounts_open(college=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        posting = Posting.objects.create(college=college, kind=PostingKind.INCOME, occurred_on="2026-10-01", memo="x", created_by=staff)
        Entry.objects.create(posting=posting, account=mine["cash"], amount=Decimal("10"))
        Entry.objects.create(posting=posting, account=theirs["fiscal"], amount=Decimal("-10"))
    assert not Posting.objects.exists()


def test_delete_of_a_posted_row_is_refused_by_the_database(on_postgres):
    college = CollegeFactory()
    staff = StaffFactory(community=college.community)
    income = services.income_record(
        college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="10", actor=staff
    )
    entry = Entry.objects.filter(posting__income=income).first()
    with pytest.raises(IntegrityError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM funds_entry WHERE id = %s", [entry.pk])
    assert "append-only" in str(exc.value)
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_two_approvals_racing_for_the_last_yuan_one_wins(on_postgres, tmp_path, settings):
    settings.FUNDS_RECEIPTS_ROOT = str(tmp_path)
    college, other = CollegeFactory(), CollegeFactory()
    asker, approver_a, approver_b = (StaffFactory(community=college.community) for _ in range(3))
    term = TermFactory()
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=asker)
    other_line = services.budget_set(college=other, term=term, use=Use.MATERIALS, amount="1000", actor=StaffFactory(community=other.community))
    # Two requests of 600 against 1,000: each fits alone, both together do not.
    expenses = [
        services.expense_request(
            college=college, term=term, use=Use.MATERIALS, amount="600", description=f"材料{n}", actor=asker, receipt=png()
        )
        for n in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(expense, approver):
        try:
            barrier.wait()
            services.expense_approve(expense=expense, actor=approver)
            outcomes.append("posted")
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome under test
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(expenses, (approver_a, approver_b), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ConflictError", "posted"]
    line = BudgetLine.objects.get(college=college, term=term, use=Use.MATERIALS)
    assert line.spent == Decimal("600.00")
    assert Expense.objects.filter(status=ExpenseStatus.POSTED).count() == 1
    assert Posting.objects.filter(kind=PostingKind.EXPENSE).count() == 1
    assert BudgetLine.objects.get(pk=other_line.pk).spent == 0
    assert not Entry.objects.filter(account__college=other).exists()


def test_naive_approval_without_the_lock_overspends(on_postgres):
    """The negative control: read, check, write without select_for_update lets both racers through; the
    check constraint is then the last line and refuses the second write."""
    college = CollegeFactory()
    term = TermFactory()
    line = BudgetLine.objects.create(college=college, term=term, use=Use.MATERIALS, amount=Decimal("1000"))
    barrier = threading.Barrier(2)
    outcomes = []

    def naive():
        try:
            with transaction.atomic():
                current = BudgetLine.objects.get(pk=line.pk)
                fits = current.spent + 600 <= current.amount
                barrier.wait()
                if fits:
                    BudgetLine.objects.filter(pk=line.pk).update(spent=current.spent + 600)
                    outcomes.append("lost update")
        finally:
            connection.close()

    threads = [threading.Thread(target=naive) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both believed they fitted: the lost update leaves 600 spent for 1,200 paid out.
    assert outcomes == ["lost update", "lost update"]
    assert BudgetLine.objects.get(pk=line.pk).spent == Decimal("600.00")
