"""Property: whatever staff and residents do, in any order, the ledger stays sound.

Hypothesis draws sequences of grants, pledges, receipts, expenses, approvals, rejections and reversals over
two colleges. After every step: each posting balances, each balance equals what an independent tally of
the operations says (the test keeps its own book, in Python), and no budget line is below zero, with its
`spent` equal to the net of the ledger's entries on that use.
"""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds import selectors, services
from funds.enums import DonorKind, Holding, PaymentMethod, PostingKind, ReversalReason, Source, Use
from funds.models import BudgetLine, Entry, Posting

from .conftest import png

pytestmark = pytest.mark.django_db

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
USES = [Use.MATERIALS, Use.EVENTS]

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(0, 1), st.sampled_from([Source.FISCAL, Source.ALLOCATED]), AMOUNTS),
        st.tuples(st.just("pledge"), st.integers(0, 1), AMOUNTS),
        st.tuples(st.just("receive"), st.integers(0, 20)),
        st.tuples(st.just("expense"), st.integers(0, 1), st.sampled_from(USES), AMOUNTS),
        st.tuples(st.just("approve"), st.integers(0, 20), st.integers(0, 1)),
        st.tuples(st.just("reject"), st.integers(0, 20)),
        st.tuples(st.just("reverse"), st.integers(0, 40)),
    ),
    max_size=25,
)


class Rollback(Exception):
    pass


@pytest.fixture
def world(colleges, term):
    from tests.factories.accounts import ResidentFactory, StaffFactory

    staff = [[StaffFactory(community=c.community) for _ in range(2)] for c in colleges]
    residents = [ResidentFactory(profile__community=c.community) for c in colleges]
    for c, people in zip(colleges, staff, strict=True):
        for use in USES:
            services.budget_set(college=c, term=term, use=use, amount="1500", actor=people[0])
    campaigns = [
        services.campaign_create(
            college=c, title="买琴", purpose="为民乐班买一把古筝", use=Use.EQUIPMENT, target="5000",
            deadline=term.ends_on, actor=people[0],
        )
        for c, people in zip(colleges, staff, strict=True)
    ]
    return colleges, staff, residents, campaigns, term


def _check(colleges, book):
    unbalanced = Entry.objects.values("posting_id").order_by().annotate(total=Sum("amount")).exclude(total=0)
    assert not unbalanced.exists()
    expected = {key: value for key, value in book.items() if value != 0}
    assert {key: value for key, value in selectors.balances_from_entries().items() if value != 0} == expected
    assert {key: value for key, value in selectors.balances().items() if value != 0} == expected
    # The monthly totals (derived, kept in each posting's transaction) agree with the entries.
    assert selectors.ledger_problems() == []
    for line in BudgetLine.objects.all():
        assert 0 <= line.spent <= line.amount
        net = book.get((line.college_id, line.use), Decimal(0))
        assert line.spent == net


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_any_sequence_keeps_the_ledger_sound(world, operations):
    colleges, staff, residents, campaigns, term = world
    try:
        with transaction.atomic():
            book: dict = defaultdict(Decimal)
            pledges, expenses, postings = [], [], []

            def post(college, pairs):
                for code, amount in pairs:
                    book[(college.pk, code)] += amount

            for op in operations:
                kind = op[0]
                try:
                    with transaction.atomic():
                        if kind == "grant":
                            _, i, source, amount = op
                            income = services.income_record(
                                college=colleges[i], source=source, donor_kind=DonorKind.DEPARTMENT,
                                donor_name="文旅局", amount=amount, actor=staff[i][0],
                            )
                            post(colleges[i], [(Holding.CASH, amount), (source, -amount)])
                            postings.append(income.postings.get())
                        elif kind == "pledge":
                            _, i, amount = op
                            pledges.append(services.pledge_create(campaign=campaigns[i], amount=amount, pledger=residents[i]))
                        elif kind == "receive" and pledges:
                            pledge = pledges[op[1] % len(pledges)]
                            done = services.pledge_receive(pledge=pledge, actor=staff[colleges.index(pledge.campaign.college)][0], method=PaymentMethod.CASH)
                            post(done.campaign.college, [(Holding.CASH, done.amount), (Source.CROWD, -done.amount)])
                            postings.append(Posting.objects.get(pledge=done, kind=PostingKind.DONATION))
                        elif kind == "expense":
                            _, i, use, amount = op
                            expenses.append(services.expense_request(
                                college=colleges[i], term=term, use=use, amount=amount, description="材料",
                                actor=staff[i][0], receipt=png(),
                            ))
                        elif kind == "approve" and expenses:
                            expense = expenses[op[1] % len(expenses)]
                            i = colleges.index(expense.college)
                            done = services.expense_approve(expense=expense, actor=staff[i][op[2]])
                            post(done.college, [(done.use, done.amount), (Holding.CASH, -done.amount)])
                            postings.append(Posting.objects.get(expense=done, kind=PostingKind.EXPENSE))
                        elif kind == "reject" and expenses:
                            expense = expenses[op[1] % len(expenses)]
                            i = colleges.index(expense.college)
                            services.expense_reject(expense=expense, actor=staff[i][1], reason="发票不清")
                        elif kind == "reverse" and postings:
                            original = postings[op[1] % len(postings)]
                            i = colleges.index(original.college)
                            services.posting_reverse(posting=original, actor=staff[i][0], reason=ReversalReason.ERROR)
                            post(original.college, [(c, -a) for c, a in original.entries.values_list("account__code", "amount")])
                except ValidationError:
                    pass  # a refusal (four eyes, budget exceeded, already decided …) changes nothing: checked below
                _check(colleges, book)
            raise Rollback
    except Rollback:
        pass
