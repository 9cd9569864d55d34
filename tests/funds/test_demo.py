"""The demo seed gives every college a year of money that the ledger's own rules accept."""

import pytest
from django.db.models import F, Sum
from django.urls import reverse

from accounts.models import College
from demo.seed import seed_demo
from funds.enums import Use
from funds.models import BudgetLine, Entry, Expense, Posting, StipendLine

pytestmark = pytest.mark.django_db(transaction=True)


def test_tiny_seed_has_a_sound_year_of_funds(client):
    seed_demo(scale="tiny", seed=7)
    assert Posting.objects.count() > 0
    assert not Entry.objects.values("posting_id").order_by().annotate(t=Sum("amount")).exclude(t=0).exists()
    assert not BudgetLine.objects.filter(spent__gt=F("amount")).exists()
    for line in BudgetLine.objects.all():
        posted = Entry.objects.filter(
            posting__expense__college_id=line.college_id, posting__expense__term_id=line.term_id, account__code=line.use
        ).aggregate(t=Sum("amount"))["t"] or 0
        assert posted == line.spent
    assert set(Posting.objects.values_list("college_id", flat=True)) == set(College.objects.values_list("id", flat=True))
    # Stipends come from held sessions at the rate table's rates; volunteers are paid nothing.
    assert StipendLine.objects.exists()
    assert not StipendLine.objects.filter(kind="volunteer").exclude(amount=0).exists()
    assert Expense.objects.filter(use=Use.STIPENDS).exists()
    college = College.objects.first()
    assert client.get(reverse("funds:public", args=[college.pk])).status_code == 200
