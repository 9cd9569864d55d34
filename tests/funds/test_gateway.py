"""The payment gateway's place: offline by default, a provider plugs in; the fake plays one in tests."""

import pytest
from django.core.exceptions import ValidationError

from funds import services
from funds.enums import PaymentMethod, PledgeStatus, Use
from funds.gateway import FakeGateway, GatewayUnavailable, get_gateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(college, term, staff, resident):
    campaign = services.campaign_create(college=college, title="买琴", purpose="琴", use=Use.EQUIPMENT, target="900", deadline=term.ends_on, actor=staff)
    return services.pledge_create(campaign=campaign, amount="66", pledger=resident)


def test_without_a_gateway_residents_pay_offline(pledge):
    with pytest.raises(GatewayUnavailable):
        services.pledge_checkout(pledge=pledge)


def test_a_captured_payment_receives_the_pledge_once(pledge, staff, settings):
    settings.FUNDS_PAYMENT_GATEWAY = "funds.gateway.FakeGateway"
    gateway = get_gateway()
    assert isinstance(gateway, FakeGateway)
    url = services.pledge_checkout(pledge=pledge, gateway=gateway)
    pledge.refresh_from_db()
    assert url.endswith(pledge.gateway_reference)
    # A callback before the provider has the money changes nothing.
    with pytest.raises(ValidationError):
        services.pledge_settle(pledge=pledge, reference=pledge.gateway_reference, actor=staff, gateway=gateway)
    gateway.pay(pledge.gateway_reference)
    with pytest.raises(ValidationError):
        services.pledge_settle(pledge=pledge, reference="forged", actor=staff, gateway=gateway)
    done = services.pledge_settle(pledge=pledge, reference=pledge.gateway_reference, actor=staff, gateway=gateway)
    assert (done.status, done.method) == (PledgeStatus.RECEIVED, PaymentMethod.GATEWAY)
    services.pledge_settle(pledge=pledge, reference=pledge.gateway_reference, actor=staff, gateway=gateway)
    assert done.postings.count() == 1
