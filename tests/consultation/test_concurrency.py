"""One support per resident, and a counter equal to the rows, under concurrent taps (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from consultation import services
from consultation.models import Matter, Support
from tests.factories.accounts import CommunityFactory, ResidentFactory
from tests.factories.consultation import MatterCategoryFactory


def _run_at_once(calls):
    barrier = threading.Barrier(len(calls))
    errors, results = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_supports_one_per_resident_and_exact_counter(on_postgres):
    community = CommunityFactory()
    residents = [ResidentFactory(profile__community=community) for _ in range(10)]
    category = MatterCategoryFactory()
    matter = services.matter_raise(resident=residents[0], category=category, title="电梯老旧", description="经常停")
    untouched = services.matter_raise(resident=residents[1], category=category, title="路灯", description="不亮")
    # Ten residents at once, and the first of them tapping five more times in the same instant.
    calls = [lambda r=r: services.matter_support(matter=matter, user=r) for r in residents]
    calls += [lambda: services.matter_support(matter=matter, user=residents[0]) for _ in range(5)]
    results, errors = _run_at_once(calls)
    assert errors == []
    assert sorted(results) == [False] * 5 + [True] * 10
    matter.refresh_from_db()
    assert Support.objects.filter(matter=matter).count() == 10 == matter.support_count
    assert Matter.objects.get(pk=untouched.pk).support_count == 0
