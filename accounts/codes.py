"""One-time sign-in codes for app clients, sent by SMS (POST /api/v1/auth/codes, then /auth/tokens/sms).

A code is six digits, kept in the cache for `CODE_TTL` seconds as an HMAC only (a cache dump does not
reveal live codes), used once, and burned after `MAX_TRIES` wrong guesses. Every number gets a code stored,
registered or not, so that the caller cannot tell the two apart; only registered, active residents are
sent the SMS, and only they can exchange a code for a token.

The browser keeps allauth's own login-by-code flow; this module serves the API alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .models import User, normalise_phone
from .sms import send_sms

CODE_LENGTH = 6
CODE_TTL = 5 * 60
MAX_TRIES = 5
_PREFIX = "api-sign-in-code"


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # a wrong guess; the code stays valid while tries remain
    BURNED = "burned"  # none was sent, it expired, it was used, or too many wrong guesses


@dataclass(frozen=True)
class CodeVerdict:
    outcome: CodeCheck
    user: User | None = None


def _code_key(phone: str) -> str:
    return f"{_PREFIX}:{phone}"


def _tries_key(phone: str, nonce: str) -> str:
    # Tied to one code: a fresh code starts with a fresh count.
    return f"{_PREFIX}:{phone}:{nonce}:tries"


def _digest(phone: str, nonce: str, code: str) -> str:
    return salted_hmac(_PREFIX, f"{phone}:{nonce}:{code}", algorithm="sha256").hexdigest()


def make_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def _resident(phone: str) -> User | None:
    return User.objects.filter(phone=phone, is_active=True).first()


def sign_in_code_send(*, phone: str, code: str | None = None) -> bool:
    """Store a new code for `phone` (replacing any earlier one) and text it if the number has an account.

    Returns whether an SMS went out; callers must not tell the client (no account enumeration).
    """
    phone = normalise_phone(phone) or ""
    code = code or make_code()
    nonce = secrets.token_hex(8)
    cache.set(_code_key(phone), {"nonce": nonce, "digest": _digest(phone, nonce, code)}, CODE_TTL)
    cache.set(_tries_key(phone, nonce), 0, CODE_TTL)
    if _resident(phone) is None:
        return False
    minutes = CODE_TTL // 60
    send_sms(
        phone=phone,
        text=_("[Community College] Your sign-in code is %(code)s. It is valid for %(minutes)s minutes.")
        % {"code": code, "minutes": minutes},
    )
    return True


def sign_in_code_check(*, phone: str, code: str) -> CodeVerdict:
    """Check a code for `phone`; a right one is used up, so a second use of it is BURNED.

    Safe under concurrent guesses: the try counter is an atomic increment, and of two requests with the
    right code only the one whose delete removed the entry wins.
    """
    phone = normalise_phone(phone) or ""
    entry = cache.get(_code_key(phone))
    if not isinstance(entry, dict):
        return CodeVerdict(CodeCheck.BURNED)
    tries_key = _tries_key(phone, entry["nonce"])
    try:
        tries = cache.incr(tries_key)
    except ValueError:  # the counter expired a moment before the code
        tries = MAX_TRIES + 1
    if tries > MAX_TRIES:
        cache.delete(_code_key(phone))
        return CodeVerdict(CodeCheck.BURNED)
    if not constant_time_compare(_digest(phone, entry["nonce"], str(code)), entry["digest"]):
        if tries >= MAX_TRIES:
            cache.delete(_code_key(phone))
        return CodeVerdict(CodeCheck.WRONG)
    if not cache.delete(_code_key(phone)):
        return CodeVerdict(CodeCheck.BURNED)
    cache.delete(tries_key)
    user = _resident(phone)
    if user is None:
        # Codes are stored for unknown numbers too; such a code was never sent, so it signs nobody in.
        return CodeVerdict(CodeCheck.WRONG)
    return CodeVerdict(CodeCheck.OK, user)
