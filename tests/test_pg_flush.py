"""The PostgreSQL flush of the transactional tests (tests/pg_flush.py) empties every table, the append-only
ledger too, puts back the rows the migrations made, and leaves the sequences where they were, as Django's
TRUNCATE did."""

import pytest
from django.core.management import call_command
from django.db import connection

from funds import services
from funds.enums import DonorKind, Source
from funds.models import Entry, Posting
from tests.factories.accounts import CollegeFactory, StaffFactory


def _rows_per_table() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {connection.ops.quote_name(t)}" for t in tables)
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_flush_empties_every_table_and_the_ledger_but_for_the_migrations_rows(on_postgres):
    from dashboards.models import StarStandard

    migrated = _rows_per_table()
    standard = StarStandard.objects.values().get()  # the default standard (dashboards/migrations/0002)
    assert migrated["django_content_type"] > 50 and migrated["dashboards_standardindicator"] > 5
    colleges = [CollegeFactory(), CollegeFactory()]
    for college in colleges:
        staff = StaffFactory(community=college.community)
        services.income_record(
            college=college,
            source=Source.FISCAL,
            donor_kind=DonorKind.GOVERNMENT,
            donor_name="区财政",
            amount="100",
            actor=staff,
        )
    assert Posting.objects.count() == 2 and Entry.objects.count() == 4
    last_posting = Posting.objects.order_by("pk").last().pk
    assert sum(_rows_per_table().values()) > 10

    # As a transactional test's teardown calls it (django.test.TransactionTestCase._fixture_teardown).
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)

    assert _rows_per_table() == migrated
    assert StarStandard.objects.values().get() == standard
    # Sequences go on (no RESTART IDENTITY, as with Django's own TRUNCATE without reset_sequences).
    college = CollegeFactory()
    staff = StaffFactory(community=college.community)
    income = services.income_record(
        college=college,
        source=Source.FISCAL,
        donor_kind=DonorKind.GOVERNMENT,
        donor_name="区财政",
        amount="1",
        actor=staff,
    )
    assert Posting.objects.get().pk > last_posting
    assert income.pk is not None


def test_flush_keeps_djangos_truncate_to_reset_sequences(on_postgres):
    from django.core.management.color import no_style

    assert connection.ops.sql_flush(no_style(), ["a_table", "b_table"], reset_sequences=True) == [
        'TRUNCATE "a_table", "b_table" RESTART IDENTITY;'
    ]
