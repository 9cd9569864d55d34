"""The delivery paths the mutation run found untested: a row whose channel the resident no longer consents
to is skipped (only that row, recorded as such, not sent), and due deliveries go to the workers in chunks,
each id exactly once, stopping when the broker is away (the sweeper takes the rest)."""

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError

from notices import services
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery
from notices.services import Draft, notices_create, recipient_of
from notices.texts import Texts
from tests.factories import CommunityFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

FIELDS = ("status", "attempts", "claimed_at", "claim_token", "not_before", "queued_at", "last_error", "provider_id")


def _notify(resident, key):
    user = type(resident).objects.select_related("profile").get(pk=resident.pk)
    draft = Draft(recipient_of(user), key, Texts(title="标题", body="正文", sms="短信"), "/me/notices/")
    notices_create(purpose=Purpose.ORDER_ACCEPTED, drafts=[draft])
    return Delivery.objects.get(notice__recipient=resident, notice__object_key=key, channel="sms")


@pytest.fixture
def two(make_resident):
    here, there = make_resident(), make_resident(community=CommunityFactory())
    rows = {f"{who}_{n}": _notify(person, f"test:{n}") for who, person in (("here", here), ("there", there)) for n in (1, 2)}
    return here, there, rows


def test_withdrawn_consent_skips_those_rows_only_and_sends_nothing_for_them(clock, two, sms_outbox):
    here, _there, rows = two
    here.profile.consent_sms = False
    here.profile.save(update_fields=["consent_sms"])
    untouched = snapshot(Delivery.objects.filter(pk=rows["there_2"].pk), *FIELDS)
    targets = [rows["here_1"].pk, rows["here_2"].pk, rows["there_1"].pk]
    outcome = services.deliveries_send(delivery_ids=targets)
    assert (outcome.sent, outcome.skipped, outcome.failed, outcome.reconciled) == (1, 2, 0, 0)
    assert [m.key for m in sms_outbox] == [rows["there_1"].key]
    skipped = Delivery.objects.filter(pk__in=[rows["here_1"].pk, rows["here_2"].pk])
    assert {(d.status, d.claim_token, d.last_error, d.attempts, d.sent_at) for d in skipped} == {
        (DeliveryStatus.SKIPPED, None, "consent withdrawn or no address", 1, None)
    }
    sent = Delivery.objects.get(pk=rows["there_1"].pk)
    assert (sent.status, sent.claim_token, sent.last_error) == (DeliveryStatus.SENT, None, "")
    assert snapshot(Delivery.objects.filter(pk=rows["there_2"].pk), *FIELDS) == untouched
    # Skipped is final: sending the same ids again changes nothing and sends nothing.
    again = services.deliveries_send(delivery_ids=targets)
    assert (again.sent, again.skipped, len(sms_outbox)) == (0, 0, 1)


class _Recorder:
    """apply_async that records each chunk; the attempt numbered `fail_on` (0-based) finds the broker away once."""

    def __init__(self, fail_on=None):
        self.calls, self.fail_on, self.attempts = [], fail_on, 0

    def __call__(self, *, args, retry):
        attempt, self.attempts = self.attempts, self.attempts + 1
        if attempt == self.fail_on:
            raise KombuOperationalError("broker away")
        self.calls.append((tuple(args[0]), retry))


@pytest.mark.parametrize(
    ("ids", "chunk", "expected"),
    [
        ((11, 12, 13, 14, 15), 2, [(11, 12), (13, 14), (15,)]),
        ((11, 12, 13, 14), 2, [(11, 12), (13, 14)]),
        ((11, 12, 13), 5, [(11, 12, 13)]),
        ((), 2, []),
    ],
)
def test_enqueue_hands_every_id_once_in_chunks(settings, monkeypatch, ids, chunk, expected):
    from notices import tasks

    recorder = _Recorder()
    monkeypatch.setattr(tasks.deliver, "apply_async", recorder)
    settings.NOTICES_DELIVER_CHUNK = chunk
    services.enqueue_deliveries(list(ids))
    assert recorder.calls == [(c, False) for c in expected]


def test_enqueue_stops_at_the_first_broker_failure(settings, monkeypatch, caplog):
    from notices import tasks

    recorder = _Recorder(fail_on=1)
    monkeypatch.setattr(tasks.deliver, "apply_async", recorder)
    settings.NOTICES_DELIVER_CHUNK = 2
    services.enqueue_deliveries([1, 2, 3, 4, 5, 6])
    # Nothing after the failed chunk is tried (the broker would be back for the third): the sweeper has them.
    assert recorder.calls == [((1, 2), False)] and recorder.attempts == 2
    assert "broker unavailable" in caplog.text
