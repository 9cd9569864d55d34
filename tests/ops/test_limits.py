"""Limits during a cache outage, as decided in README "Running in production": asking for an SMS code
fails closed (503, no SMS), other limits fail open loudly, and the portal keeps answering."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.sms import LocmemSMSBackend
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "ops.cache.FailSoftRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def test_sms_codes_are_refused_while_the_cache_is_away(settings):
    resident = ResidentFactory(phone="13911112222")
    other = ResidentFactory(phone="13933334444")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    settings.CACHES = UNREACHABLE
    response = client.post("/api/v1/auth/codes/", {"phone": resident.phone}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert LocmemSMSBackend.outbox == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert client.post("/api/v1/auth/codes/", {"phone": other.phone}, format="json").status_code == 202
    assert [m.phone for m in LocmemSMSBackend.outbox] == [other.phone]


def test_pages_and_password_sign_in_work_while_the_cache_is_away(settings, client):
    resident = ResidentFactory(phone="13955556666")
    resident.set_password("a-long-password-1")
    resident.save()
    settings.CACHES = UNREACHABLE
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    signed_in = APIClient().post(
        "/api/v1/auth/tokens/", {"name": "app", "login": resident.phone, "password": "a-long-password-1"}, format="json"
    )
    assert signed_in.status_code == 201
