"""Delivery guards the mutation run of notices/services.py found untested (issue 23): a row another worker has
taken over is not given back by this one, the lease and the chunk's budget end where they say, every row
found at the gateway is counted, what is recorded for a sent row. Two residents in two communities, two
deliveries each; the rows that are not the target are compared before and after."""

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from accounts.sms import BaseSMSBackend
from notices import services
from notices.backends import FileSMSBackend, NoticeSMS
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery
from notices.services import Draft, SendOutcome, notices_create, recipient_of
from notices.texts import Texts
from tests.factories import CommunityFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

FIELDS = (
    "status",
    "attempts",
    "claimed_at",
    "claim_token",
    "not_before",
    "queued_at",
    "last_error",
    "provider_id",
)


def _notify(resident, key):
    user = type(resident).objects.select_related("profile").get(pk=resident.pk)
    draft = Draft(recipient_of(user), key, Texts(title="标题", body="正文", sms="短信"), "/me/notices/")
    notices_create(purpose=Purpose.ORDER_ACCEPTED, drafts=[draft])
    return Delivery.objects.get(notice__recipient=resident, notice__object_key=key, channel="sms")


@pytest.fixture
def two(make_resident):
    here, there = make_resident(), make_resident(community=CommunityFactory())
    return {
        f"{who}_{n}": _notify(person, f"test:{n}")
        for who, person in (("here", here), ("there", there))
        for n in (1, 2)
    }


def _others(rows, *targets):
    return snapshot(Delivery.objects.exclude(pk__in=[rows[t].pk for t in targets]), *FIELDS)


def _row(delivery):
    return Delivery.objects.values_list("status", "attempts", "claimed_at", "claim_token").get(pk=delivery.pk)


def test_give_back_leaves_the_rows_another_worker_has_taken_over(clock, two):
    """This call's lease ran out and another worker claimed two of its rows: giving back touches only the
    rows still carrying this call's token, fresh ones and suspects alike."""
    mine, theirs = uuid4(), uuid4()
    old = clock.now - timedelta(hours=1)
    ids = [two[n].pk for n in ("here_1", "here_2", "there_1", "there_2")]
    # here_1 and here_2 were taken over from a dead worker (suspects); the there_* rows were fresh.
    Delivery.objects.filter(pk__in=[two["here_1"].pk, two["here_2"].pk]).update(
        status=DeliveryStatus.SENDING, claimed_at=old, attempts=1
    )
    rows = list(Delivery.objects.filter(pk__in=ids).order_by("id"))  # as read before the claim
    Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now, claim_token=mine, attempts=2
    )
    later = clock.now + timedelta(minutes=10)
    Delivery.objects.filter(pk__in=[two["here_2"].pk, two["there_2"].pk]).update(
        claimed_at=later, claim_token=theirs
    )
    outcome = SendOutcome()
    services._give_back(rows, mine, {two["here_1"].pk, two["here_2"].pk}, outcome)
    assert outcome.given_back == ids
    assert _row(two["here_1"]) == (DeliveryStatus.SENDING, 1, old, None)
    assert _row(two["there_1"]) == (DeliveryStatus.PENDING, 1, None, None)
    assert _row(two["here_2"]) == (DeliveryStatus.SENDING, 2, later, theirs)
    assert _row(two["there_2"]) == (DeliveryStatus.SENDING, 2, later, theirs)


def test_a_lease_is_taken_over_only_once_it_has_run_out(clock, settings, two, sms_outbox):
    settings.NOTICES_LEASE_SECONDS = 300
    Delivery.objects.filter(pk=two["here_1"].pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now - timedelta(seconds=300), attempts=1
    )
    Delivery.objects.filter(pk=two["there_1"].pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now - timedelta(seconds=301), attempts=1
    )
    before = _others(two, "there_1")
    outcome = services.deliveries_send(delivery_ids=[two["here_1"].pk, two["there_1"].pk])
    assert (outcome.sent, [m.key for m in sms_outbox]) == (1, [two["there_1"].key])
    assert Delivery.objects.values_list("status", "attempts").get(pk=two["there_1"].pk) == (
        DeliveryStatus.SENT,
        2,
    )
    assert _others(two, "there_1") == before


class HalfLeaseSMSBackend(BaseSMSBackend):
    """Each message takes 150 s of the (frozen) clock: exactly half of a 300-s lease."""

    clock = None
    taken: list = []

    def send(self, message):
        type(self).clock.advance(seconds=150)
        type(self).taken.append(message.key)
        return f"half-{len(type(self).taken)}"


def test_the_chunk_sends_until_more_than_half_the_lease_is_spent(clock, settings, two):
    settings.NOTICES_LEASE_SECONDS = 300
    settings.SMS_BACKEND = "tests.notices.test_delivery_kills.HalfLeaseSMSBackend"
    HalfLeaseSMSBackend.clock, HalfLeaseSMSBackend.taken = clock, []
    ids = [two[n].pk for n in ("here_1", "here_2", "there_1")]
    before = _others(two, "here_1", "here_2", "there_1")
    outcome = services.deliveries_send(delivery_ids=ids)
    # 150 s after the first send is not more than the budget; 300 s after the second is.
    assert (outcome.sent, outcome.given_back) == (2, [two["there_1"].pk])
    assert HalfLeaseSMSBackend.taken == [two["here_1"].key, two["here_2"].key]
    assert Delivery.objects.values_list("status", "attempts", "claim_token").get(pk=two["there_1"].pk) == (
        DeliveryStatus.PENDING,
        0,
        None,
    )
    assert _others(two, "here_1", "here_2", "there_1") == before


def test_every_row_found_at_the_gateway_is_recorded_and_counted_not_sent_again(clock, settings, two):
    settings.SMS_BACKEND = "notices.backends.FileSMSBackend"
    targets = ("here_1", "there_1", "there_2")
    Delivery.objects.filter(pk__in=[two[n].pk for n in targets]).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1
    )
    # The gateway took here_1 and there_1; there_2's worker died before the gateway had it.
    for name in ("here_1", "there_1"):
        FileSMSBackend().send(NoticeSMS(phone="13900000000", text="短信", key=two[name].key))
    clock.advance(seconds=settings.NOTICES_LEASE_SECONDS + 1)
    before = _others(two, *targets)
    outcome = services.deliveries_send(delivery_ids=[two[n].pk for n in targets])
    assert (outcome.sent, outcome.reconciled) == (1, 2)
    lines = Path(settings.NOTICES_SMS_FILE).read_text().splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(two[n].key for n in targets)
    got = {
        d.pk: (d.status, d.provider_id, d.claim_token, d.sent_at)
        for d in Delivery.objects.filter(pk__in=[two[n].pk for n in targets])
    }
    assert got == {two[n].pk: (DeliveryStatus.SENT, f"file:{two[n].key}", None, clock.now) for n in targets}
    assert _others(two, *targets) == before


class LongIdSMSBackend(BaseSMSBackend):
    """A gateway answering with a 250-character message id."""

    def send(self, message):
        return "id-" + "x" * 247


def test_a_sent_row_keeps_its_time_a_bounded_gateway_id_and_no_earlier_error(clock, settings, two):
    settings.SMS_BACKEND = "tests.notices.test_delivery_kills.LongIdSMSBackend"
    Delivery.objects.filter(pk=two["here_2"].pk).update(
        last_error="SMSDeliveryError: gateway busy", attempts=1
    )
    before = _others(two, "here_2")
    outcome = services.deliveries_send(delivery_ids=[two["here_2"].pk])
    assert outcome.sent == 1
    row = Delivery.objects.get(pk=two["here_2"].pk)
    assert (row.status, row.sent_at, row.provider_id, row.last_error, row.attempts) == (
        DeliveryStatus.SENT,
        clock.now,
        ("id-" + "x" * 247)[:200],
        "",
        2,
    )
    assert _others(two, "here_2") == before


class TakenOverSMSBackend(BaseSMSBackend):
    """A gateway so slow that, while it sends `victim`, the lease runs out and another worker claims the row."""

    victim = None  # (key, pk)
    thief = None

    def send(self, message):
        key, pk = type(self).victim
        if message.key == key:
            Delivery.objects.filter(pk=pk).update(claim_token=type(self).thief)
        return f"taken-{message.key}"


def test_a_row_taken_over_during_its_send_is_left_to_the_new_worker_and_said_so(clock, settings, two, caplog):
    settings.SMS_BACKEND = "tests.notices.test_delivery_kills.TakenOverSMSBackend"
    TakenOverSMSBackend.victim = (two["here_1"].key, two["here_1"].pk)
    TakenOverSMSBackend.thief = uuid4()
    ids = [two["here_1"].pk, two["there_1"].pk]
    before = _others(two, "here_1", "there_1")
    with caplog.at_level("WARNING", logger="notices.services"):
        services.deliveries_send(delivery_ids=ids)
    taken = Delivery.objects.get(pk=two["here_1"].pk)
    assert (taken.status, taken.claim_token, taken.provider_id, taken.sent_at) == (
        DeliveryStatus.SENDING,
        TakenOverSMSBackend.thief,
        "",
        None,
    )
    sent = Delivery.objects.get(pk=two["there_1"].pk)
    assert (sent.status, sent.claim_token, sent.provider_id) == (
        DeliveryStatus.SENT,
        None,
        f"taken-{sent.key}",
    )
    lost = [r.getMessage() for r in caplog.records if "lease lost" in r.getMessage()]
    assert lost == [f"notice delivery {taken.pk}: lease lost during the send"]
    assert _others(two, "here_1", "there_1") == before


def test_a_chunk_run_in_quiet_hours_defers_its_pending_rows_and_takes_them_off_the_queue(
    clock, two, sms_outbox
):
    from .conftest import local

    Delivery.objects.filter(pk__in=[two["here_1"].pk, two["there_1"].pk]).update(queued_at=clock.now)
    Delivery.objects.filter(pk=two["here_2"].pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1
    )
    clock.set(local(10, 23))
    before = _others(two, "here_1", "there_1")
    outcome = services.deliveries_send(delivery_ids=[two["here_1"].pk, two["there_1"].pk, two["here_2"].pk])
    assert (outcome.deferred, outcome.sent, sms_outbox) == (2, 0, [])
    deferred = Delivery.objects.filter(pk__in=[two["here_1"].pk, two["there_1"].pk])
    # Off the queue until 07:00: the sweeper enqueues them then.
    assert {(d.status, d.not_before, d.queued_at, d.attempts) for d in deferred} == {
        (DeliveryStatus.PENDING, local(11, 7), None, 0)
    }
    assert _others(two, "here_1", "there_1") == before


def test_only_the_chunks_own_expired_claims_are_taken_over(clock, settings, two, sms_outbox):
    settings.NOTICES_LEASE_SECONDS = 300
    expired = clock.now - timedelta(seconds=900)
    Delivery.objects.filter(pk__in=[two["here_1"].pk, two["there_2"].pk]).update(
        status=DeliveryStatus.SENDING, claimed_at=expired, attempts=1
    )
    before = _others(two, "here_1")
    outcome = services.deliveries_send(delivery_ids=[two["here_1"].pk])
    assert (outcome.sent, [m.key for m in sms_outbox]) == (1, [two["here_1"].key])
    # there_2's dead worker left it for the sweeper's next chunk: this call neither claims nor counts it.
    assert _others(two, "here_1") == before
