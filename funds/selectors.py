"""Reads of the fund: balances, budgets, the transparency report, the district's figures."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from .models import Entry


def balances(*, college_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Decimal]:
    """(college id, account code) → balance (debits − credits), from the entries: one query."""
    entries = Entry.objects.all()
    if college_ids is not None:
        entries = entries.filter(account__college_id__in=list(college_ids))
    rows = entries.values_list("account__college_id", "account__code").order_by().annotate(total=Sum("amount"))
    return {(college, code): total for college, code, total in rows}
