"""A retried delivery is queued again at the time of its failure (issue 23): the sweep leaves alone what was
queued within its grace, so a row whose send took long must not keep the time of its claim. Two residents
in two communities; the rows not sent are compared before and after."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.sms import BaseSMSBackend, SMSDeliveryError
from notices import services
from notices.enums import DeliveryStatus
from notices.models import Delivery
from tests.notices.test_delivery_kills import _others, two  # noqa: F401 (the two-resident fixture)

pytestmark = pytest.mark.django_db


class SlowBusySMSBackend(BaseSMSBackend):
    """A gateway that takes ten minutes (of the test's clock) to refuse a message."""

    clock = None

    def send(self, message):
        type(self).clock.advance(minutes=10)
        raise SMSDeliveryError("忙")


def test_a_retried_row_is_queued_at_its_failure_not_at_its_claim(clock, settings, two):  # noqa: F811
    settings.SMS_BACKEND = "tests.notices.test_delivery_kills2.SlowBusySMSBackend"
    settings.NOTICES_MAX_ATTEMPTS = 5
    settings.NOTICES_RETRY_BASE_SECONDS = 60
    SlowBusySMSBackend.clock = clock
    claimed_at = clock.now
    before = _others(two, "here_1")
    outcome = services.deliveries_send(delivery_ids=[two["here_1"].pk])
    assert outcome.retry_ids == [two["here_1"].pk]
    row = Delivery.objects.get(pk=two["here_1"].pk)
    assert clock.now == claimed_at + timedelta(minutes=10)
    assert (row.status, row.queued_at, row.not_before) == (
        DeliveryStatus.PENDING,
        clock.now,
        clock.now + timedelta(seconds=60),
    )
    assert _others(two, "here_1") == before


class NoIdSMSBackend(BaseSMSBackend):
    """A gateway that accepts a message and gives no id for it."""

    def send(self, message):
        return None


def test_a_row_sent_through_a_gateway_without_ids_records_no_id(clock, settings, two):  # noqa: F811
    settings.SMS_BACKEND = "tests.notices.test_delivery_kills2.NoIdSMSBackend"
    before = _others(two, "there_2")
    outcome = services.deliveries_send(delivery_ids=[two["there_2"].pk])
    assert outcome.sent == 1
    row = Delivery.objects.get(pk=two["there_2"].pk)
    assert (row.status, row.sent_at, row.provider_id) == (DeliveryStatus.SENT, clock.now, "")
    assert _others(two, "there_2") == before


def test_the_claim_rechecks_each_rows_status_after_reading_it(clock, settings, two, sms_outbox, monkeypatch):  # noqa: F811
    """Between this call's read and its claim another worker claims one pending row, and a dead worker's
    row turns out sent after all: the claim (a conditional UPDATE) takes neither, and sends only the rest."""
    settings.NOTICES_LEASE_SECONDS = 600
    other_token = uuid4()
    Delivery.objects.filter(pk=two["here_2"].pk).update(
        status=DeliveryStatus.SENDING,
        claimed_at=clock.now - timedelta(hours=1),
        claim_token=uuid4(),
        attempts=1,
    )
    real_quiet_until = services.quiet_until

    def meanwhile(now):
        Delivery.objects.filter(pk=two["here_1"].pk).update(
            status=DeliveryStatus.SENDING, claimed_at=now, claim_token=other_token, attempts=1
        )
        Delivery.objects.filter(pk=two["here_2"].pk).update(
            status=DeliveryStatus.SENT, sent_at=now, provider_id="late", claim_token=None
        )
        return real_quiet_until(now)

    monkeypatch.setattr(services, "quiet_until", meanwhile)
    ids = [two["here_1"].pk, two["here_2"].pk, two["there_1"].pk]
    outcome = services.deliveries_send(delivery_ids=ids)
    assert (outcome.sent, [m.key for m in sms_outbox]) == (1, [two["there_1"].key])
    rows = {d.pk: (d.status, d.claim_token, d.provider_id) for d in Delivery.objects.filter(pk__in=ids[:2])}
    assert rows == {
        two["here_1"].pk: (DeliveryStatus.SENDING, other_token, ""),
        two["here_2"].pk: (DeliveryStatus.SENT, None, "late"),
    }


def test_quiet_hours_defer_a_chunks_rows_to_the_morning_but_never_bring_a_later_retry_forward(clock, two):  # noqa: F811
    from .conftest import local

    clock.set(local(10, 23))  # quiet hours until 07:00 the next morning
    later = local(11, 9)
    Delivery.objects.filter(pk=two["here_2"].pk).update(not_before=later)
    before = _others(two, "here_1", "here_2")
    outcome = services.deliveries_send(delivery_ids=[two["here_1"].pk, two["here_2"].pk])
    assert outcome.deferred == 1
    got = dict(
        Delivery.objects.filter(pk__in=[two["here_1"].pk, two["here_2"].pk]).values_list("pk", "not_before")
    )
    assert got == {two["here_1"].pk: local(11, 7), two["here_2"].pk: later}
    assert _others(two, "here_1", "here_2") == before


@pytest.mark.parametrize("n", [1, 3])
def test_a_chunk_reads_its_rows_notices_recipients_and_profiles_once_each(clock, two, n):  # noqa: F811
    names = ["here_1", "here_2", "there_1"][:n]
    with CaptureQueriesContext(connection) as ctx:
        outcome = services.deliveries_send(delivery_ids=[two[name].pk for name in names])
    assert outcome.sent == n
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    # The chunk's rows, their notices, recipients and profiles (four reads), then the claimed ids: the same for 1 or 3.
    assert len(reads) == 5, reads
