"""A retried delivery is queued again at the time of its failure (issue 23): the sweep leaves alone what was
queued within its grace, so a row whose send took long must not keep the time of its claim. Two residents
in two communities; the rows not sent are compared before and after."""

from datetime import timedelta

import pytest

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
