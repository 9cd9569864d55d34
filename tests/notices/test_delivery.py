"""Exactly once, quiet hours, retries with backoff, the failed list and resending."""

import smtplib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend

from accounts.sms import BaseSMSBackend, LocmemSMSBackend, SMSDeliveryError
from interests.models import ResidentProfile
from notices import services, tasks
from notices.backends import FileSMSBackend, NoticeSMS
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, Notice
from notices.services import Draft, notices_create, recipient_of
from notices.texts import Texts

from .conftest import local

pytestmark = pytest.mark.django_db


class FlakySMSBackend(BaseSMSBackend):
    """A gateway that refuses the next `failures` messages, then takes them."""

    failures = 0
    taken: list = []

    def send(self, message):
        if type(self).failures > 0:
            type(self).failures -= 1
            raise SMSDeliveryError("gateway busy")
        type(self).taken.append(message)
        return f"flaky-{len(type(self).taken)}"


class BrokenSMTPBackend(LocmemEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection closed")


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "tests.notices.test_delivery.FlakySMSBackend"
    FlakySMSBackend.failures = 0
    FlakySMSBackend.taken = []
    return FlakySMSBackend


def _notify(resident, *, key="test:1", purpose=Purpose.ORDER_ACCEPTED):
    user = type(resident).objects.select_related("profile").get(pk=resident.pk)
    draft = Draft(recipient_of(user), key, Texts(title="标题", body="正文", sms="短信"), "/me/notices/")
    notices_create(purpose=purpose, drafts=[draft])
    return Delivery.objects.filter(notice__recipient=resident, notice__object_key=key).order_by("id").first()


def _status(delivery):
    delivery.refresh_from_db()
    return delivery.status


def test_running_the_task_twice_sends_once(clock, make_resident, sms_outbox):
    delivery = _notify(make_resident())  # outside committed(): the task is not run yet
    tasks.deliver.delay([delivery.pk])
    tasks.deliver.delay([delivery.pk])
    assert len(sms_outbox) == 1
    assert (_status(delivery), delivery.attempts, delivery.provider_id) == (
        DeliveryStatus.SENT,
        1,
        "locmem-1",
    )


def test_creating_the_same_notice_twice_makes_one_row_per_channel(clock, make_resident):
    resident = make_resident(email="a@example.org", mail=True)
    _notify(resident)
    _notify(resident)
    assert Notice.objects.count() == 1
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "sms"]


def test_worker_killed_after_claiming_is_taken_over_after_the_lease(
    clock, settings, make_resident, sms_outbox
):
    settings.NOTICES_LEASE_SECONDS = 300
    delivery = _notify(make_resident())
    # A worker claimed the row, then died before sending (the state SIGKILL leaves behind).
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1
    )
    tasks.deliver.delay([delivery.pk])  # its message redelivered while the lease holds: hands off
    tasks.sweep.delay()
    assert (sms_outbox, _status(delivery)) == ([], DeliveryStatus.SENDING)

    clock.advance(seconds=301)
    tasks.sweep.delay()  # eager: the sweep's deliver task runs at once
    assert [m.key for m in sms_outbox] == [delivery.key]
    assert (_status(delivery), delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_worker_killed_after_the_gateway_took_it_is_not_sent_again(clock, settings, make_resident, tmp_path):
    settings.SMS_BACKEND = "notices.backends.FileSMSBackend"
    delivery = _notify(make_resident())
    # The gateway took the message; the worker died before recording it.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1
    )
    FileSMSBackend().send(NoticeSMS(phone="13900000000", text="短信", key=delivery.key))
    clock.advance(seconds=settings.NOTICES_LEASE_SECONDS + 1)
    outcome = services.deliveries_send(delivery_ids=[delivery.pk])
    lines = Path(settings.NOTICES_SMS_FILE).read_text().splitlines()
    assert [line.split("\t")[0] for line in lines] == [delivery.key]
    assert (outcome.sent, outcome.reconciled, _status(delivery)) == (0, 1, DeliveryStatus.SENT)


def test_gateway_failures_retry_with_backoff_then_fail_and_resend(clock, settings, flaky, make_resident):
    settings.NOTICES_MAX_ATTEMPTS = 3
    settings.NOTICES_RETRY_BASE_SECONDS = 60
    flaky.failures = 99
    delivery = _notify(make_resident())
    tasks.deliver.delay([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.not_before) == (
        DeliveryStatus.PENDING,
        1,
        clock.now + timedelta(seconds=60),
    )
    assert delivery.last_error == "SMSDeliveryError: gateway busy"
    tasks.deliver.delay([delivery.pk])  # too early: the backoff holds
    assert delivery.attempts == Delivery.objects.get(pk=delivery.pk).attempts

    clock.advance(seconds=61)
    tasks.release_deferred.delay()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.not_before) == (2, clock.now + timedelta(seconds=120))
    clock.advance(seconds=121)
    tasks.release_deferred.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.failed_at) == (DeliveryStatus.FAILED, 3, clock.now)
    assert flaky.taken == []

    flaky.failures = 0
    superuser = type(delivery.notice.recipient).objects.create_superuser(
        phone="13800000009", password="x", name="管理员"
    )
    with_commit = services.deliveries_resend(delivery_ids=[delivery.pk], actor=superuser)
    assert with_commit == 1
    tasks.deliver.delay([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(flaky.taken)) == (DeliveryStatus.SENT, 1, 1)


def test_the_task_retries_with_the_backoff_as_countdown(clock, flaky, make_resident, monkeypatch):
    flaky.failures = 1
    delivery = _notify(make_resident())
    calls = []

    class Retried(Exception):
        pass

    def fake_retry(*, args, countdown):
        calls.append((args, countdown))
        return Retried()

    monkeypatch.setattr(tasks.deliver, "retry", fake_retry)
    tasks.deliver.push_request(is_eager=False)
    try:
        with pytest.raises(Retried):
            tasks.deliver.run([delivery.pk])
    finally:
        tasks.deliver.pop_request()
    assert calls == [([[delivery.pk]], 60)]


def test_smtp_errors_are_retried(clock, settings, make_resident):
    settings.EMAIL_BACKEND = "tests.notices.test_delivery.BrokenSMTPBackend"
    delivery = _notify(make_resident(email="a@example.org", mail=True, sms=False))
    outcome = services.deliveries_send(delivery_ids=[delivery.pk])
    assert (outcome.retry_ids, outcome.retry_in) == ([delivery.pk], 60)
    assert "SMTPServerDisconnected" in Delivery.objects.get(pk=delivery.pk).last_error


def test_quiet_hours_hold_sms_and_email_until_seven_not_the_inbox(clock, make_resident, sms_outbox):
    clock.set(local(10, 23, 0))
    resident = make_resident(email="a@example.org", mail=True)
    delivery = _notify(resident)
    tasks.sweep.delay()
    assert Notice.objects.filter(recipient=resident).count() == 1  # the inbox has it now
    assert (sms_outbox, mail.outbox) == ([], [])
    assert set(Delivery.objects.values_list("not_before", flat=True)) == {local(11, 7, 0)}

    clock.set(local(11, 6, 59))
    tasks.release_deferred.delay()
    assert sms_outbox == []
    clock.set(local(11, 7, 0))
    tasks.release_deferred.delay()
    assert ([m.key for m in sms_outbox], len(mail.outbox)) == ([delivery.key], 1)


def test_a_task_that_runs_into_quiet_hours_defers_its_chunk(clock, make_resident, sms_outbox):
    clock.set(local(10, 21, 59))
    delivery = _notify(make_resident())
    clock.set(local(10, 22, 1))  # the worker was busy; the task starts after 22:00
    tasks.deliver.delay([delivery.pk])
    delivery.refresh_from_db()
    assert (sms_outbox, delivery.status, delivery.not_before) == ([], DeliveryStatus.PENDING, local(11, 7, 0))


def test_consent_withdrawn_overnight_is_honoured_in_the_morning(clock, make_resident, sms_outbox):
    clock.set(local(10, 23, 0))
    resident = make_resident()
    delivery = _notify(resident)
    ResidentProfile.objects.filter(user=resident).update(consent_sms=False)
    clock.set(local(11, 7, 0))
    tasks.release_deferred.delay()
    assert (sms_outbox, _status(delivery)) == ([], DeliveryStatus.SKIPPED)


def test_file_backend_writes_one_line_per_message_with_the_key(settings):
    backend = FileSMSBackend()
    assert backend.lookup("k1") is None
    backend.send(NoticeSMS(phone="13912345678", text="第一行\n第二行", key="k1"))
    assert Path(settings.NOTICES_SMS_FILE).read_text() == "k1\t139****5678\t第一行 第二行\n"
    assert backend.lookup("k1") == "file:k1"


def test_plain_sms_backends_still_work(clock, make_resident):
    delivery = _notify(make_resident())
    tasks.deliver.delay([delivery.pk])
    assert isinstance(LocmemSMSBackend.outbox[0], NoticeSMS)


class SlowSMSBackend(BaseSMSBackend):
    """Each message takes 200 s of the (frozen) clock: a gateway at its timeout."""

    clock = None
    taken: list = []

    def send(self, message):
        type(self).clock.advance(seconds=200)
        type(self).taken.append(message.key)
        return "slow"


def test_a_slow_gateway_never_outlives_the_lease_of_its_chunk(clock, settings, make_resident):
    settings.NOTICES_LEASE_SECONDS = 300  # half of it, 150 s, is the budget of one claim
    settings.SMS_BACKEND = "tests.notices.test_delivery.SlowSMSBackend"
    SlowSMSBackend.clock, SlowSMSBackend.taken = clock, []
    deliveries = [_notify(make_resident(), key=f"test:{n}") for n in range(3)]
    outcome = services.deliveries_send(delivery_ids=[d.pk for d in deliveries])
    # One send used the budget: the other two went back, unclaimed and unattempted.
    assert (outcome.sent, outcome.given_back) == (1, [d.pk for d in deliveries[1:]])
    assert [(d.status, d.attempts) for d in Delivery.objects.order_by("id")] == [
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.PENDING, 0),
        (DeliveryStatus.PENDING, 0),
    ]
    tasks.deliver.delay(outcome.given_back)  # what the task does with them (eager: at once, in turn)
    assert SlowSMSBackend.taken == [d.key for d in deliveries]
    assert {(d.status, d.attempts) for d in Delivery.objects.all()} == {(DeliveryStatus.SENT, 1)}
