"""Signing in from an app: one-time codes by SMS (accounts.codes and its two endpoints), throttles, and
django-axes' lockout through the API for both the password and the code, answered in the API's error shape."""

from __future__ import annotations

import re

import pytest

from accounts import codes
from accounts.models import ApiToken
from accounts.sms import LocmemSMSBackend
from tests.factories import ResidentFactory

PHONE = "13812341234"


def _sent_code() -> str:
    return re.search(r"\d{6}", LocmemSMSBackend.outbox[-1].text).group()


# --- accounts.codes -------------------------------------------------------------------------------------------


def test_a_code_signs_in_once(db):
    resident = ResidentFactory(phone=PHONE)
    assert codes.sign_in_code_send(phone="+86 138-1234-1234", code="424242") is True
    assert [m.phone for m in LocmemSMSBackend.outbox] == [PHONE]
    assert codes.sign_in_code_check(phone=PHONE, code="424242") == codes.CodeVerdict(
        codes.CodeCheck.OK, resident
    )
    assert codes.sign_in_code_check(phone=PHONE, code="424242").outcome == codes.CodeCheck.BURNED


def test_the_code_is_stored_only_as_a_digest(db):
    from django.core.cache import cache

    ResidentFactory(phone=PHONE)
    codes.sign_in_code_send(phone=PHONE, code="424242")
    entry = cache.get(f"api-sign-in-code:{PHONE}")
    assert "424242" not in str(entry)


def test_five_wrong_tries_burn_the_code(db):
    ResidentFactory(phone=PHONE)
    codes.sign_in_code_send(phone=PHONE, code="424242")
    outcomes = [codes.sign_in_code_check(phone=PHONE, code="000000").outcome for _ in range(codes.MAX_TRIES)]
    assert outcomes == [codes.CodeCheck.WRONG] * codes.MAX_TRIES
    assert codes.sign_in_code_check(phone=PHONE, code="424242").outcome == codes.CodeCheck.BURNED


def test_a_new_code_replaces_the_old_one_with_fresh_tries(db):
    ResidentFactory(phone=PHONE)
    codes.sign_in_code_send(phone=PHONE, code="111111")
    for _ in range(codes.MAX_TRIES - 1):
        codes.sign_in_code_check(phone=PHONE, code="000000")
    codes.sign_in_code_send(phone=PHONE, code="222222")
    assert codes.sign_in_code_check(phone=PHONE, code="111111").outcome == codes.CodeCheck.WRONG
    assert codes.sign_in_code_check(phone=PHONE, code="222222").outcome == codes.CodeCheck.OK


def test_an_unknown_number_is_sent_nothing_and_signs_nobody_in(db):
    assert codes.sign_in_code_send(phone=PHONE, code="424242") is False
    assert LocmemSMSBackend.outbox == []
    assert codes.sign_in_code_check(phone=PHONE, code="424242").outcome == codes.CodeCheck.WRONG


def test_a_deactivated_resident_gets_no_code(db):
    ResidentFactory(phone=PHONE, is_active=False)
    assert codes.sign_in_code_send(phone=PHONE) is False


def test_codes_expire(db, settings):
    from django.core.cache import cache

    ResidentFactory(phone=PHONE)
    codes.sign_in_code_send(phone=PHONE, code="424242")
    cache.delete(f"api-sign-in-code:{PHONE}")  # what the TTL does after five minutes
    assert codes.sign_in_code_check(phone=PHONE, code="424242").outcome == codes.CodeCheck.BURNED


# --- The endpoints --------------------------------------------------------------------------------------------


def test_sign_in_with_a_code_makes_a_token(db, api):
    resident = ResidentFactory(phone=PHONE)
    client = api()
    sent = client.post("/api/v1/auth/codes/", {"phone": "138 1234 1234"}, format="json")
    assert (sent.status_code, sent.json()["expires_in"]) == (202, codes.CODE_TTL)
    made = client.post(
        "/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": _sent_code(), "name": "my phone"}, format="json"
    )
    assert made.status_code == 201, made.content
    token = ApiToken.objects.get(pk=made.json()["id"])
    assert (token.user, token.name) == (resident, "my phone")
    me = api().get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Token {made.json()['secret']}")
    assert [row["id"] for row in me.json()] == [token.pk]
    reused = client.post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": _sent_code()}, format="json")
    assert (reused.status_code, reused.json()["code"]) == (401, "invalid_code")


def test_the_answer_does_not_say_whether_the_number_has_an_account(db, api):
    ResidentFactory(phone=PHONE)
    known = api().post("/api/v1/auth/codes/", {"phone": PHONE}, format="json")
    unknown = api().post("/api/v1/auth/codes/", {"phone": "13900000000"}, format="json")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert [m.phone for m in LocmemSMSBackend.outbox] == [PHONE]


def test_bad_requests_name_their_fields(db, api):
    bad_phone = api().post("/api/v1/auth/codes/", {"phone": "12345"}, format="json")
    assert (bad_phone.status_code, list(bad_phone.json()["fields"])) == (400, ["phone"])
    bad_code = api().post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "12ab56"}, format="json")
    assert (bad_code.status_code, list(bad_code.json()["fields"])) == (400, ["code"])


def test_codes_are_throttled_per_number_whoever_asks(db, api):
    ResidentFactory(phone=PHONE)
    answers = [
        api().post("/api/v1/auth/codes/", {"phone": PHONE}, format="json", REMOTE_ADDR=f"10.0.0.{i}")
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[-1].json()["code"] == "throttled"
    assert answers[-1].json()["retry_after"] > 0
    assert len(LocmemSMSBackend.outbox) == 3


def test_codes_are_throttled_per_address(db, api, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates once, at import.
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "send_code": "2/min"}
    )
    answers = [
        api().post("/api/v1/auth/codes/", {"phone": f"1390000000{i}"}, format="json").status_code
        for i in range(3)
    ]
    assert answers == [202, 202, 429]


# --- django-axes through the API ------------------------------------------------------------------------------


@pytest.fixture
def resident_with_password(db):
    return ResidentFactory(phone=PHONE, password="right-horse-battery")


def _password(client, password):
    return client.post(
        "/api/v1/auth/tokens/",
        {"name": "app", "login": PHONE, "password": password},
        format="json",
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(resident_with_password, api):
    client = api()
    answers = [_password(client, "wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    locked = _password(client, "right-horse-battery")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert set(locked.json()) == {"code", "detail", "retry_after"}
    assert (locked.json()["code"], locked.json()["retry_after"]) == ("locked_out", 3600)
    assert not ApiToken.objects.filter(user=resident_with_password).exists()


def test_the_right_password_clears_earlier_failures(resident_with_password, api):
    client = api()
    for _ in range(4):
        _password(client, "wrong")
    assert _password(client, "right-horse-battery").status_code == 201
    assert [_password(client, "wrong").status_code for _ in range(4)] == [401] * 4


def test_five_wrong_codes_lock_the_number_even_for_a_fresh_right_code(db, api):
    ResidentFactory(phone=PHONE)
    client = api()
    client.post("/api/v1/auth/codes/", {"phone": PHONE}, format="json")
    answers = [
        client.post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "000000"}, format="json")
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    codes.sign_in_code_send(phone=PHONE, code="424242")
    locked = client.post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "424242"}, format="json")
    assert (locked.status_code, locked.json()["code"]) == (429, "locked_out")
    # Locked for the password too: both sign-ins count under the mobile number.
    assert _password(client, "anything").json()["code"] == "locked_out"


def test_a_lockout_from_one_address_leaves_others_alone(db, api):
    ResidentFactory(phone=PHONE)
    for _ in range(5):
        api().post(
            "/api/v1/auth/tokens/sms/",
            {"phone": PHONE, "code": "000000"},
            format="json",
            REMOTE_ADDR="10.0.0.9",
        )
    codes.sign_in_code_send(phone=PHONE, code="424242")
    elsewhere = api().post(
        "/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "424242"}, format="json", REMOTE_ADDR="10.0.0.10"
    )
    assert elsewhere.status_code == 201, elsewhere.content
