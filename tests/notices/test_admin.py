"""The failed-delivery list in the staff admin, and its "resend" action (a call of the resend service)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.enums import Role
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, FailedDelivery, Notice
from tests.factories import CommunityFactory, DistrictFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _failed(resident, n=1):
    notice = Notice.objects.create(
        recipient=resident,
        purpose=Purpose.REMINDER_2H,
        object_key=f"session:{n}",
        language="zh-hans",
        title="提醒",
        body="正文",
        sms_text="短信",
    )
    return Delivery.objects.create(
        notice=notice,
        channel="sms",
        status=DeliveryStatus.FAILED,
        not_before=notice.created,
        attempts=5,
        failed_at=notice.created,
        last_error="SMSDeliveryError: gateway busy",
    )


@pytest.fixture
def two(place, make_resident):
    other = CommunityFactory()
    return _failed(make_resident(), 1), _failed(make_resident(community=other), 2)


def _login(client, user):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _changelist(model):
    return reverse(f"admin:notices_{model._meta.model_name}_changelist")


def test_failed_list_shows_only_failures_of_my_community(client, clock, place, two):
    mine, theirs = two
    sent = Delivery.objects.create(
        notice=Notice.objects.get(pk=mine.notice_id),
        channel="email",
        status=DeliveryStatus.SENT,
        not_before=clock.now,
        sent_at=clock.now,
    )
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    response = _login(client, staff).get(_changelist(FailedDelivery))
    assert [d.pk for d in response.context["cl"].result_list] == [mine.pk]
    assert "SMSDeliveryError: gateway busy" in response.content.decode()
    everything = client.get(_changelist(Delivery)).context["cl"].result_list
    assert sorted(d.pk for d in everything) == sorted([mine.pk, sent.pk])
    assert client.get(_changelist(Notice)).status_code == 200


def test_resend_action_sends_again_through_the_service(client, clock, place, two, sms_outbox, committed):
    mine, theirs = two
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    with committed():
        response = _login(client, staff).post(
            _changelist(FailedDelivery),
            {"action": "resend", "_selected_action": [mine.pk, theirs.pk], "index": 0},
            follow=True,
        )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 delivery will be sent again."]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.attempts, theirs.status) == (DeliveryStatus.SENT, 1, DeliveryStatus.FAILED)
    assert [m.key for m in sms_outbox] == [mine.key]


def test_district_office_reads_but_cannot_resend(client, place, two):
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=DistrictFactory())
    response = _login(client, office).get(_changelist(FailedDelivery))
    assert (response.status_code, response.context["action_form"]) == (200, None)  # no action offered
    client.post(
        _changelist(FailedDelivery), {"action": "resend", "_selected_action": [d.pk for d in two], "index": 0}
    )
    assert {d.status for d in Delivery.objects.all()} == {DeliveryStatus.FAILED}


def test_residents_cannot_open_the_admin(client, place, two):
    response = _login(client, UserFactory()).get(_changelist(FailedDelivery))
    assert response.status_code == 302
