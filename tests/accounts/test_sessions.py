"""The session engine (accounts/sessions.py) and the backend's user read (accounts/backends.py): what Django's
database sessions and ModelBackend.get_user answer, read with prepared statements on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.backends import PhoneOrEmailBackend
from accounts.sessions import SessionStore
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

BACKEND = "accounts.backends.PhoneOrEmailBackend"


def _signed_in(user) -> str:
    store = SessionStore()
    store.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: BACKEND, HASH_SESSION_KEY: user.get_session_auth_hash()})
    store.create()
    return store.session_key


def test_a_live_session_is_read_back():
    user = ResidentFactory()
    key = _signed_in(user)
    store = SessionStore(key)
    assert store.load() == {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: BACKEND, HASH_SESSION_KEY: user.get_session_auth_hash()}
    assert store.session_key == key


def test_an_expired_session_is_empty_and_its_key_forgotten():
    key = _signed_in(ResidentFactory())
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(key)
    assert (store.load(), store.session_key) == ({}, None)


def test_an_unknown_key_is_empty_and_forgotten():
    store = SessionStore("x" * 32)
    assert (store.load(), store.session_key) == ({}, None)


def test_the_portal_sees_the_signed_in_resident_and_not_an_expired_one(client, settings):
    user = ResidentFactory()
    key = _signed_in(user)
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get(reverse("interests:my_orders")).status_code == 200
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("interests:my_orders"))
    assert (response.status_code, response.wsgi_request.user.is_anonymous) == (302, True)


def test_the_backend_reads_an_active_user_and_refuses_an_inactive_one():
    active, inactive = ResidentFactory(), ResidentFactory(is_active=False)
    got = PhoneOrEmailBackend().get_user(active.pk)
    assert (got, got.email, got.name, got.language) == (active, active.email, active.name, active.language)
    assert got._state.adding is False
    assert PhoneOrEmailBackend().get_user(inactive.pk) is None
    assert PhoneOrEmailBackend().get_user(inactive.pk + 1000) is None
