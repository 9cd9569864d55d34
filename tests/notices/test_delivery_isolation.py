"""Delivery touches the rows it was given: two residents in two communities, each with their own deliveries."""

import pytest
from django.utils import translation

from accounts.enums import Role
from accounts.sms import BaseSMSBackend, SMSDeliveryError
from community_college.errors import ScopeError
from notices import services
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, Notice
from notices.services import Draft, notices_create, recipient_of
from notices.texts import Texts
from tests.factories import CommunityFactory, StaffFactory
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
    """Residents of two communities, each with two SMS deliveries."""
    other_community = CommunityFactory()
    here, there = make_resident(), make_resident(community=other_community)
    rows = {
        "here_1": _notify(here, "test:1"),
        "here_2": _notify(here, "test:2"),
        "there_1": _notify(there, "test:1"),
        "there_2": _notify(there, "test:2"),
    }
    return here, there, rows


def _others(rows, *targets):
    return snapshot(Delivery.objects.exclude(pk__in=[rows[t].pk for t in targets]), *FIELDS)


def test_send_sends_the_given_deliveries_only(clock, two, sms_outbox):
    _here, _there, rows = two
    before = _others(rows, "here_2", "there_1")
    outcome = services.deliveries_send(delivery_ids=[rows["here_2"].pk, rows["there_1"].pk])
    assert (outcome.sent, outcome.failed, outcome.skipped) == (2, 0, 0)
    assert sorted(m.key for m in sms_outbox) == sorted([rows["here_2"].key, rows["there_1"].key])
    sent = snapshot(Delivery.objects.filter(pk__in=[rows["here_2"].pk, rows["there_1"].pk]), *FIELDS)
    assert {(r["status"], r["attempts"], r["claim_token"], r["last_error"]) for r in sent.values()} == {
        (DeliveryStatus.SENT, 1, None, "")
    }
    assert _others(rows, "here_2", "there_1") == before


def test_send_leaves_a_live_claim_of_another_worker_alone(clock, two, sms_outbox):
    _here, _there, rows = two
    Delivery.objects.filter(pk=rows["here_1"].pk).update(status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1)
    before = _others(rows, "here_2")
    outcome = services.deliveries_send(delivery_ids=[rows["here_1"].pk, rows["here_2"].pk])
    assert (outcome.sent, [m.key for m in sms_outbox]) == (1, [rows["here_2"].key])
    assert _others(rows, "here_2") == before


def test_send_of_rows_not_yet_due_claims_nothing(clock, two, sms_outbox):
    _here, _there, rows = two
    Delivery.objects.filter(pk=rows["there_2"].pk).update(not_before=clock.now.replace(year=2027))
    before = snapshot(Delivery.objects.all(), *FIELDS)
    outcome = services.deliveries_send(delivery_ids=[rows["there_2"].pk])
    assert (outcome.sent, sms_outbox) == (0, [])
    assert snapshot(Delivery.objects.all(), *FIELDS) == before


def _fail(rows, *names):
    Delivery.objects.filter(pk__in=[rows[n].pk for n in names]).update(
        status=DeliveryStatus.FAILED, attempts=5, last_error="SMSDeliveryError: gateway busy", failed_at=clock_now()
    )


def clock_now():
    from django.utils import timezone

    return timezone.now()


def test_resend_restarts_the_failed_deliveries_of_the_actors_community_only(clock, two, committed):
    here, _there, rows = two
    _fail(rows, "here_1", "here_2", "there_1")
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=here.profile.community)
    before = _others(rows, "here_1")
    with committed():
        count = services.deliveries_resend(delivery_ids=[rows["here_1"].pk, rows["there_1"].pk], actor=staff)
    assert count == 1
    row = Delivery.objects.get(pk=rows["here_1"].pk)
    # Resent at once (eager Celery): a fresh first attempt.
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert _others(rows, "here_1") == before


def test_resend_only_restarts_failed_rows(clock, two):
    here, _there, rows = two
    _fail(rows, "here_1")
    Delivery.objects.filter(pk=rows["here_2"].pk).update(status=DeliveryStatus.SENT, attempts=1, sent_at=clock.now)
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=here.profile.community)
    before = _others(rows, "here_1")
    assert services.deliveries_resend(delivery_ids=[rows["here_1"].pk, rows["here_2"].pk], actor=staff) == 1
    row = Delivery.objects.get(pk=rows["here_1"].pk)
    assert (row.status, row.attempts, row.last_error, row.not_before, row.queued_at, row.failed_at) == (
        DeliveryStatus.PENDING,
        0,
        "",
        clock.now,
        clock.now,
        None,
    )
    assert _others(rows, "here_1") == before


def test_resend_by_a_reader_is_refused(clock, two):
    here, _there, rows = two
    _fail(rows, "here_1")
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=here.profile.community.street.district)
    before = snapshot(Delivery.objects.all(), *FIELDS)
    with translation.override("en"), pytest.raises(ScopeError) as excinfo:
        services.deliveries_resend(delivery_ids=[rows["here_1"].pk], actor=office)
    assert (excinfo.value.messages[0], excinfo.value.code) == ("You may only read these deliveries.", "scope")
    assert snapshot(Delivery.objects.all(), *FIELDS) == before


def test_mark_read_marks_that_notice_of_that_user_only(clock, two):
    here, there, rows = two
    mine, my_other, theirs = rows["here_1"].notice, rows["here_2"].notice, rows["there_1"].notice
    assert services.notice_mark_read(notice_id=theirs.pk, user=here) is False
    assert services.notice_mark_read(notice_id=mine.pk, user=here) is True
    assert services.notice_mark_read(notice_id=mine.pk, user=here) is False  # already read
    read = dict(Notice.objects.values_list("pk", "read_at"))
    assert read[mine.pk] == clock.now
    assert (read[my_other.pk], read[theirs.pk]) == (None, None)


def test_mark_all_read_marks_that_users_notices_only(clock, two):
    here, there, rows = two
    assert services.notices_mark_all_read(user=there) == 2
    assert services.notices_mark_all_read(user=there) == 0
    unread = set(Notice.objects.filter(read_at__isnull=True).values_list("recipient_id", flat=True))
    assert unread == {here.pk}
    assert Notice.objects.filter(recipient=there, read_at=clock.now).count() == 2


def test_resend_in_quiet_hours_waits_for_the_morning(clock, two, sms_outbox, committed):
    from .conftest import local

    here, _there, rows = two
    _fail(rows, "here_1")
    clock.set(local(10, 23))
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=here.profile.community)
    with committed():
        assert services.deliveries_resend(delivery_ids=[rows["here_1"].pk], actor=staff) == 1
    row = Delivery.objects.get(pk=rows["here_1"].pk)
    assert (row.status, row.attempts, row.not_before, row.queued_at) == (DeliveryStatus.PENDING, 0, local(11, 7), None)
    assert sms_outbox == []


def test_a_chunk_gives_back_what_it_will_not_send_as_it_was(clock, settings, make_resident):
    """The budget runs out after the first send: fresh rows go back to pending, unclaimed and unattempted;
    rows taken over from a dead worker (suspects: the gateway may have them) stay "sending" with their own
    old lease, so the next claim asks the gateway first. Rows not in the chunk are left alone."""
    from datetime import timedelta

    from .test_delivery import SlowSMSBackend

    settings.NOTICES_LEASE_SECONDS = 300
    settings.SMS_BACKEND = "tests.notices.test_delivery.SlowSMSBackend"
    SlowSMSBackend.clock, SlowSMSBackend.taken = clock, []
    first, fresh, suspect_1, suspect_2, live, outside = (
        _notify(make_resident(), f"test:{n}") for n in range(6)
    )
    old_1, old_2 = clock.now - timedelta(seconds=900), clock.now - timedelta(seconds=600)
    Delivery.objects.filter(pk=fresh.pk).update(queued_at=clock.now)
    Delivery.objects.filter(pk=suspect_1.pk).update(status=DeliveryStatus.SENDING, claimed_at=old_1, attempts=1, queued_at=clock.now)
    Delivery.objects.filter(pk=suspect_2.pk).update(status=DeliveryStatus.SENDING, claimed_at=old_2, attempts=2, queued_at=clock.now)
    Delivery.objects.filter(pk=live.pk).update(status=DeliveryStatus.SENDING, claimed_at=clock.now, attempts=1)
    untouched = snapshot(Delivery.objects.filter(pk__in=[live.pk, outside.pk]), *FIELDS)

    outcome = services.deliveries_send(delivery_ids=[first.pk, fresh.pk, suspect_1.pk, suspect_2.pk, live.pk])

    assert (outcome.sent, outcome.given_back) == (1, [fresh.pk, suspect_1.pk, suspect_2.pk])
    rows = {
        r.pk: (r.status, r.attempts, r.claimed_at, r.claim_token, r.queued_at)
        for r in Delivery.objects.filter(pk__in=[fresh.pk, suspect_1.pk, suspect_2.pk])
    }
    assert rows == {
        fresh.pk: (DeliveryStatus.PENDING, 0, None, None, None),
        suspect_1.pk: (DeliveryStatus.SENDING, 1, old_1, None, None),
        suspect_2.pk: (DeliveryStatus.SENDING, 2, old_2, None, None),
    }
    assert snapshot(Delivery.objects.filter(pk__in=[live.pk, outside.pk]), *FIELDS) == untouched
    assert SlowSMSBackend.taken == [first.key]


class BusySMSBackend(BaseSMSBackend):
    """A gateway that refuses every message with a very long error text."""

    def send(self, message):
        raise SMSDeliveryError("忙" * 2500)


def _busy(settings):
    settings.SMS_BACKEND = "tests.notices.test_delivery_isolation.BusySMSBackend"


def test_failures_in_one_chunk_retry_each_row_with_its_own_backoff(clock, settings, two):
    from datetime import timedelta

    _busy(settings)
    settings.NOTICES_MAX_ATTEMPTS = 5
    settings.NOTICES_RETRY_BASE_SECONDS = 60
    _here, _there, rows = two
    Delivery.objects.filter(pk=rows["here_2"].pk).update(attempts=1)
    before = _others(rows, "here_1", "here_2")
    outcome = services.deliveries_send(delivery_ids=[rows["here_1"].pk, rows["here_2"].pk])
    assert (outcome.failed, outcome.retry_ids, outcome.retry_in) == (0, [rows["here_1"].pk, rows["here_2"].pk], 60)
    error = "SMSDeliveryError: " + "忙" * 2500
    got = {
        r.pk: (r.status, r.attempts, r.not_before, r.queued_at, r.claim_token, r.last_error)
        for r in Delivery.objects.filter(pk__in=[rows["here_1"].pk, rows["here_2"].pk])
    }
    assert got == {
        rows["here_1"].pk: (DeliveryStatus.PENDING, 1, clock.now + timedelta(seconds=60), clock.now, None, error[:2000]),
        rows["here_2"].pk: (DeliveryStatus.PENDING, 2, clock.now + timedelta(seconds=120), clock.now, None, error[:2000]),
    }
    assert _others(rows, "here_1", "here_2") == before


def test_failures_at_the_last_attempt_fail_each_row_and_say_so(clock, settings, two, caplog):
    _busy(settings)
    settings.NOTICES_MAX_ATTEMPTS = 1
    _here, _there, rows = two
    ids = [rows["here_1"].pk, rows["there_1"].pk]
    before = _others(rows, "here_1", "there_1")
    with caplog.at_level("WARNING", logger="notices.services"):
        outcome = services.deliveries_send(delivery_ids=ids)
    assert (outcome.failed, outcome.retry_ids, outcome.retry_in) == (2, [], None)
    error = ("SMSDeliveryError: " + "忙" * 2500)[:2000]
    got = {r.pk: (r.status, r.failed_at, r.claim_token, r.last_error) for r in Delivery.objects.filter(pk__in=ids)}
    assert got == dict.fromkeys(ids, (DeliveryStatus.FAILED, clock.now, None, error))
    assert [r.getMessage() for r in caplog.records if "failed after" in r.getMessage()] == [
        f"notice delivery {pk} failed after 1 attempts: {error}" for pk in ids
    ]
    assert _others(rows, "here_1", "there_1") == before


@pytest.mark.parametrize("limit", [1, 10])
def test_enqueue_due_marks_the_due_rows_it_enqueues(clock, settings, two, sms_outbox, limit):
    """Due rows (the sweep's limit of them, oldest first) are stamped as queued now; others are left alone."""
    from datetime import timedelta

    settings.NOTICES_SWEEP_LIMIT = limit
    _here, _there, rows = two
    Delivery.objects.update(queued_at=None)  # none of them is in the queue any more
    Delivery.objects.filter(pk=rows["there_2"].pk).update(not_before=clock.now - timedelta(hours=2))
    Delivery.objects.filter(pk=rows["here_1"].pk).update(not_before=clock.now - timedelta(hours=1))
    Delivery.objects.filter(pk__in=[rows["here_2"].pk, rows["there_1"].pk]).update(
        not_before=clock.now + timedelta(hours=1)
    )
    due = [rows["there_2"].pk, rows["here_1"].pk][:limit]
    assert services.deliveries_enqueue_due(now=clock.now) == len(due)
    queued = dict(Delivery.objects.values_list("pk", "queued_at"))
    assert {pk for pk, at in queued.items() if at == clock.now} == set(due)
    assert {pk for pk, at in queued.items() if at is None} == set(queued) - set(due)
