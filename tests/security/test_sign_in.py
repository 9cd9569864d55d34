"""Sign-in: forged forwarding headers buy no extra attempts, and no path skips phone verification."""

from __future__ import annotations

import pytest
from rest_framework.throttling import ScopedRateThrottle

from accounts import codes
from accounts.models import ApiToken
from community_college.client_ip import resolve_client_ip
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

PHONE = "13812341234"


@pytest.fixture
def code_rate(monkeypatch):
    # DRF reads the rates once, at import.
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "send_code": "2/min"}
    )


def _ask_codes(api, forwarded: list[str]) -> list[int]:
    return [
        api().post(
            "/api/v1/auth/codes/", {"phone": f"1390000000{i}"}, format="json", HTTP_X_FORWARDED_FOR=address
        ).status_code
        for i, address in enumerate(forwarded)
    ]


def test_a_rotating_forwarded_for_does_not_escape_the_code_throttle(db, api, code_rate):
    assert _ask_codes(api, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [202, 202, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(db, api, code_rate, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert _ask_codes(api, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [202, 202, 202]
    assert _ask_codes(api, ["198.51.100.1", "198.51.100.1"]) == [202, 429]


def test_a_rotating_forwarded_for_does_not_escape_the_axes_lockout(db, api):
    ResidentFactory(phone=PHONE, password="right-horse-battery")
    answers = [
        api().post(
            "/api/v1/auth/tokens/",
            {"name": "app", "login": PHONE, "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
        for i in range(6)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429, 429]


def test_the_web_sign_in_is_locked_out_whatever_the_header_says(db, client):
    ResidentFactory(phone=PHONE, password="right-horse-battery")
    statuses = [
        client.post(
            "/accounts/login/", {"login": PHONE, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429


@pytest.mark.parametrize(
    "proxies,hops,remote,forwarded,client",
    [
        ([], 0, "10.0.0.5", "198.51.100.7", "10.0.0.5"),  # no proxy trusted: the header is ignored
        (["10.0.0.5"], 0, "10.0.0.5", "198.51.100.7", "198.51.100.7"),
        (["10.0.0.0/8"], 0, "10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (["10.0.0.5"], 0, "192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not from the proxy: ignored
        (["10.0.0.5"], 0, "10.0.0.5", "not-an-address", "10.0.0.5"),
        ([], 1, "10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # one hop: the last entry
        ([], 2, "10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        ([], 1, "10.0.0.5", "", "10.0.0.5"),
        (["2001:db8::/32"], 0, "2001:db8::1", "[2001:db8:1::7]:443, 2001:db8::2", "2001:db8:1::7"),
    ],
)
def test_the_client_address_is_read_only_through_trusted_proxies(settings, proxies, hops, remote, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    settings.TRUSTED_PROXY_HOPS = hops
    assert resolve_client_ip(remote, forwarded) == client


# --- phone verification on every sign-in path ---------------------------------------------------------------


@pytest.fixture
def unverified(db):
    return ResidentFactory(phone=PHONE, password="right-horse-battery", phone_verified=False)


def test_api_password_sign_in_refuses_an_unverified_number(unverified, api):
    response = api().post(
        "/api/v1/auth/tokens/",
        {"name": "app", "login": PHONE, "password": "right-horse-battery"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "phone_unverified",
        "detail": "Verify your mobile number first: sign in with a code sent by SMS (POST /api/v1/auth/codes/).",
    }
    assert not ApiToken.objects.exists()


def test_api_password_sign_in_still_works_for_a_verified_number(db, api):
    resident = ResidentFactory(phone=PHONE, password="right-horse-battery")
    ResidentFactory(phone="13812345678", password="right-horse-battery", phone_verified=False)
    response = api().post(
        "/api/v1/auth/tokens/", {"name": "app", "login": PHONE, "password": "right-horse-battery"}, format="json"
    )
    assert response.status_code == 201
    assert list(ApiToken.objects.values_list("user", flat=True)) == [resident.pk]


def test_api_sms_sign_in_verifies_the_number_like_the_web_code_sign_in(unverified, api):
    other = ResidentFactory(phone="13812345678", phone_verified=False)
    codes.sign_in_code_send(phone=PHONE, code="424242")
    response = api().post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "424242"}, format="json")
    assert response.status_code == 201
    unverified.refresh_from_db()
    other.refresh_from_db()
    assert (unverified.phone_verified, other.phone_verified) == (True, False)
    # Now the password works too.
    response = api().post(
        "/api/v1/auth/tokens/", {"name": "app", "login": PHONE, "password": "right-horse-battery"}, format="json"
    )
    assert response.status_code == 201


def test_web_password_sign_in_of_an_unverified_number_asks_for_a_code(unverified, client):
    response = client.post("/accounts/login/", {"login": PHONE, "password": "right-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert "_auth_user_id" not in client.session
