"""Issue 19, sign-up and sign-in as residents meet them: empty forms, a room on one Wi-Fi, wrong codes,
a number already registered, a forgotten password without e-mail, numbers typed every which way."""

import re

import pytest
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.adapter import discard_unfinished_signup
from accounts.models import User, normalise_phone
from accounts.resources import MaskedPhoneWidget
from accounts.sms import LocmemSMSBackend
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOM = "10.1.2.3"  # the community centre's one public address


def _code(phone: str) -> str:
    texts = [m.text for m in LocmemSMSBackend.outbox if m.phone == phone]
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def _wrong(phone: str) -> str:
    return "000000" if _code(phone) != "000000" else "111111"


def _english_client(**extra) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ROOM, **extra)
    return client


def _age_code_limits(phone: str, seconds: float) -> None:
    """Move the per-number SMS history `seconds` into the past, as if that much time had gone by."""
    request = RequestFactory().post("/", REMOTE_ADDR=ROOM)
    for rate in allauth_ratelimit.get_rates(app="allauth.account", action="verify_phone"):
        key = allauth_ratelimit.get_cache_key(request, app="allauth.account", action="verify_phone", rate=rate, key=phone)
        history = cache.get(key)
        if history:
            cache.set(key, [ts - seconds for ts in history], rate.duration)


# --- item 1: empty forms answer with a field error -------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_request_login_code_with_no_number_is_a_field_error_not_a_crash(value):
    response = _english_client().post(reverse("account_request_login_code"), {"phone": value})
    assert response.status_code == 200
    assert response.context["form"].errors == {"phone": ["Enter the mobile number you signed up with."]}
    assert LocmemSMSBackend.outbox == []


@pytest.mark.parametrize(
    ("url_name", "field"),
    [
        ("account_login", "login"),
        ("account_signup", "phone"),
        ("account_signup", "name"),
        ("account_request_login_code", "phone"),
        ("account_reset_password", "email"),
    ],
)
def test_every_entrance_form_submitted_empty_answers_with_a_field_error(url_name, field):
    response = _english_client().post(reverse(url_name), {})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == 0


# --- item 3: a room of residents on one address -----------------------------------------------------------


def test_three_residents_sign_up_from_one_address_within_a_minute():
    numbers = ["13800000101", "13800000102", "13800000103"]
    for number in numbers:
        client = _english_client()
        response = client.post(reverse("account_signup"), {"name": f"居民{number[-1]}", "phone": number})
        assert response["Location"] == reverse("account_verify_phone")
        response = client.post(reverse("account_verify_phone"), {"code": _code(number)})
        assert response["Location"] == reverse("interests:profile")
    assert sorted(User.objects.filter(phone_verified=True).values_list("phone", flat=True)) == numbers
    assert sorted(m.phone for m in LocmemSMSBackend.outbox) == numbers


def test_a_number_over_its_sms_limit_is_refused_before_any_account_is_made():
    phone = "13800000201"
    request = RequestFactory().post("/", REMOTE_ADDR=ROOM)
    for _ in range(10):  # the hour's budget of codes for this number, spent
        allauth_ratelimit.consume(request, app="allauth.account", action="verify_phone", key=phone)
        _age_code_limits(phone, 31)
    response = _english_client().post(reverse("account_signup"), {"name": "王芳", "phone": phone})
    assert response.status_code == 200
    error = str(response.context["form"].errors["phone"])
    assert re.search(r"No code was sent: .* Try again in \d+ minutes\.", error)
    assert User.objects.count() == 0
    assert LocmemSMSBackend.outbox == []
    # Another resident in the same room is not held up by it.
    other = _english_client().post(reverse("account_signup"), {"name": "李明", "phone": "13800000202"})
    assert other["Location"] == reverse("account_verify_phone")


def test_an_unfinished_sign_up_is_discarded_but_a_used_account_never_is():
    fresh = UserFactory(phone="13800000301", phone_verified=False)
    verified = UserFactory(phone="13800000302", phone_verified=True)
    used = UserFactory(phone="13800000303", phone_verified=False)
    User.objects.filter(pk=used.pk).update(last_login="2026-01-01T00:00:00Z")
    used.refresh_from_db()
    for user in (fresh, verified, used):
        discard_unfinished_signup(user)
    assert sorted(User.objects.values_list("phone", flat=True)) == ["13800000302", "13800000303"]


# --- item 4: wrong codes, registered numbers ---------------------------------------------------------------


def test_three_wrong_codes_at_sign_up_keep_the_resident_on_the_page_with_a_new_code_on_offer():
    phone = "13800000401"
    client = _english_client()
    client.post(reverse("account_signup"), {"name": "李明", "phone": phone})
    wrong = _wrong(phone)
    for _ in range(3):
        response = client.post(reverse("account_verify_phone"), {"code": wrong})
        assert response.status_code == 200
    html = response.content.decode()
    assert "no longer works. Ask for a new code below." in html
    assert 'name="action" value="resend"' in html
    # The used-up code does not work even when typed right now.
    response = client.post(reverse("account_verify_phone"), {"code": _code(phone)})
    assert response.status_code == 200
    assert User.objects.get(phone=phone).phone_verified is False

    # Asking again within 30 s of the first code says how long to wait; afterwards a new code comes.
    response = client.post(reverse("account_verify_phone"), {"action": "resend"}, follow=True)
    assert re.search(r"Try again in \d+ seconds", response.content.decode())
    assert len(LocmemSMSBackend.outbox) == 1
    _age_code_limits(phone, 31)
    client.post(reverse("account_verify_phone"), {"action": "resend"})
    assert len(LocmemSMSBackend.outbox) == 2
    response = client.post(reverse("account_verify_phone"), {"code": _code(phone)})
    assert response["Location"] == reverse("interests:profile")
    assert User.objects.get(phone=phone).phone_verified is True


def test_start_again_after_every_code_failed_leaves_no_account_and_signing_up_again_works():
    phone = "13800000501"
    client = _english_client()
    client.post(reverse("account_signup"), {"name": "李明", "phone": phone})
    for _ in range(2):  # two new codes, each guessed wrong three times
        for _ in range(3):
            client.post(reverse("account_verify_phone"), {"code": _wrong(phone)})
        _age_code_limits(phone, 31)
        client.post(reverse("account_verify_phone"), {"action": "resend"})
    for _ in range(3):
        response = client.post(reverse("account_verify_phone"), {"code": _wrong(phone)})
    html = response.content.decode()
    assert "Start again to get a new code." in html and 'value="restart"' in html
    response = client.post(reverse("account_verify_phone"), {"action": "restart"})
    assert response["Location"] == reverse("account_signup")
    assert not User.objects.filter(phone=phone).exists()

    _age_code_limits(phone, 31)
    response = client.post(reverse("account_signup"), {"name": "李明", "phone": phone})
    assert response["Location"] == reverse("account_verify_phone")
    assert client.post(reverse("account_verify_phone"), {"code": _code(phone)})["Location"] == reverse("interests:profile")


def test_signing_up_with_a_registered_number_points_to_sign_in_by_code_and_that_works():
    user = ResidentFactory(phone="13800000601")
    client = _english_client()
    response = client.post(reverse("account_signup"), {"name": "李明", "phone": "138 0000 0601"})
    assert response.context["form"].errors["phone"] == [
        "This number already has an account. Sign in with a code sent by SMS instead."
    ]
    assert LocmemSMSBackend.outbox == []
    client.post(reverse("account_request_login_code"), {"phone": "13800000601"})
    response = client.post(reverse("account_confirm_login_code"), {"code": _code("13800000601")})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == user


# --- item 5: a new password by SMS code -----------------------------------------------------------------


def test_forgot_password_offers_the_sms_way_first():
    html = _english_client().get(reverse("account_reset_password")).content.decode()
    assert html.index(reverse("account_request_login_code")) < html.index('name="email"')
    assert f'value="{reverse("account_password_new")}"' in html


def test_a_phone_only_resident_resets_the_password_by_sms_code():
    user = ResidentFactory(phone="13800000701", email=None)
    other = ResidentFactory(phone="13800000702")
    client = _english_client()
    new_url = reverse("account_password_new")
    response = client.post(reverse("account_request_login_code"), {"phone": "138-0000-0701", "next": new_url})
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    response = client.post(
        reverse("account_confirm_login_code"), {"code": _code("13800000701"), "next": new_url}
    )
    assert response["Location"] == new_url
    empty = client.post(new_url, {})
    assert set(empty.context["form"].errors) == {"password1", "password2"}
    response = client.post(new_url, {"password1": "a-new-long-phrase", "password2": "a-new-long-phrase"})
    assert response["Location"] == reverse("home")
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.check_password("a-new-long-phrase")
    assert other.check_password("pass-word-123")
    # Still signed in: the session survived the password change.
    assert client.get(reverse("home")).context["user"] == user


def test_the_new_password_page_needs_a_fresh_sign_in_by_code():
    user = ResidentFactory(phone="13800000801")
    client = _english_client()
    client.force_login(user)
    response = client.post(reverse("account_password_new"), {"password1": "x-new-long-phrase", "password2": "x-new-long-phrase"})
    assert response["Location"].startswith(reverse("account_request_login_code"))
    user.refresh_from_db()
    assert user.check_password("pass-word-123")


# --- item 6: numbers as people type them ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138\u30001234\u30005678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("＋８６ １３８－１２３４－５６７８", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("(138) 1234.5678", "13812345678"),
    ],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["13812345678x", "🙂13812345678", "一三八12345678"])
def test_a_number_with_letters_or_symbols_is_not_guessed_at(typed):
    assert normalise_phone(typed) != "13812345678"


def test_sign_up_with_full_width_digits_and_dashes_stores_the_plain_number():
    client = _english_client()
    response = client.post(reverse("account_signup"), {"name": "李明", "phone": "１３８－１２３４－５６７８"})
    assert response["Location"] == reverse("account_verify_phone")
    assert User.objects.get().phone == "13812345678"
    assert [m.phone for m in LocmemSMSBackend.outbox] == ["13812345678"]


def test_sign_in_by_password_and_by_code_accept_full_width_digits():
    user = ResidentFactory(phone="13812345678")
    client = _english_client()
    response = client.post(reverse("account_login"), {"login": "１３８ １２３４ ５６７８", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user
    response = _english_client().post(reverse("account_request_login_code"), {"phone": "１３８-1234-5678"})
    assert response["Location"] == reverse("account_confirm_login_code")
    assert [m.phone for m in LocmemSMSBackend.outbox] == ["13812345678"]


def test_spreadsheet_phone_cells_use_the_same_normaliser():
    widget = MaskedPhoneWidget()
    assert widget.clean("１３８ 1234-5678") == "13812345678"
    assert widget.clean("023-6789 1234") == "023-6789 1234"  # a landline stays as written


@pytest.mark.parametrize("url_name", ["account_signup", "account_request_login_code"])
def test_the_number_box_has_no_example_number_that_looks_filled_in(url_name):
    # Issue 19 item 10: the 13812345678 placeholder looked pre-filled.
    html = _english_client().get(reverse(url_name)).content.decode()
    box = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert "13812345678" not in box


def test_sign_up_says_a_password_is_optional_before_listing_rules():
    html = _english_client().get(reverse("account_signup")).content.decode()
    assert "E-mail and password (optional)" in html
    assert "Password (optional)" in html
    assert "You can leave this empty" in html
