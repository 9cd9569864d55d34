"""Round trips to PostgreSQL of one registration, as gunicorn serves it (issue 20: at most 4; now 3 for a page, 2 for the API).

The requests go through the WSGI application itself (community_college/wsgi.py: /api/ through the API's
chain, pages through the whole one), outside any test transaction, so that what is counted is what a
production request sends: every statement (savepoints included), every COMMIT and ROLLBACK Django sends,
and the health check's `SELECT 1`. The connection is opened and warmed by a first request, as a gunicorn
thread's is at a class's opening.
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import contextmanager

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from accounts.api.services import api_token_create
from activities import registration_sql
from activities.enums import RegistrationStatus
from activities.models import Registration
from community_college.wsgi import application
from tests.factories import CourseFactory, ResidentFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSRF = "k" * 32


@pytest.fixture(autouse=True)
def _postgres(on_postgres):
    pass


@contextmanager
def round_trips():
    """Every exchange with the database of this thread's connection, as text, in order."""
    sent: list[str] = []

    def statement(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    original = {name: getattr(connection, name) for name in ("_commit", "_rollback", "is_usable")}

    def counted(name):
        def call(*args, **kwargs):
            sent.append({"_commit": "COMMIT", "_rollback": "ROLLBACK", "is_usable": "SELECT 1"}[name])
            return original[name](*args, **kwargs)

        return call

    for name in original:
        setattr(connection, name, counted(name))
    try:
        with connection.execute_wrapper(statement):
            yield sent
    finally:
        for name in original:
            delattr(connection, name)  # the class's methods again


def _short(sent: list[str]) -> str:
    return "\n".join(" ".join(sql.split())[:110] for sql in sent)


def _call(path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": "0",
        "REMOTE_ADDR": "127.0.0.1",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    body = b"".join(application(environ, lambda s, h, exc_info=None: status.append(s)))
    return int(status[0].split()[0]), body


def _signed_in(user) -> str:
    store = SessionStore()
    store.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "accounts.backends.PhoneOrEmailBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    store.create()
    return store.session_key


@pytest.fixture
def hot_class():
    """A popular class (one place) and its twin, with residents who have never registered."""
    course, twin = CourseFactory(capacity=1), CourseFactory(capacity=1)
    SessionFactory(course=course)
    SessionFactory(course=twin)
    residents = [ResidentFactory(profile__community=course.community) for _ in range(4)]
    # This process's registration ids, reserved before (one batch serves 32 registrations).
    registration_sql.ids.give_back(registration_sql.reserve_id())
    return course, twin, residents


def _api(course, secret: str) -> tuple[int, bytes]:
    return _call(
        f"/api/v1/courses/{course.pk}/register/",
        {"Host": "127.0.0.1", "Authorization": f"Token {secret}", "Accept": "application/json", "Accept-Language": "en"},
    )


def _portal(course, session_key: str) -> tuple[int, bytes]:
    return _call(
        f"/classes/{course.pk}/register/",
        {
            "Host": "127.0.0.1",
            "Cookie": f"sessionid={session_key}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "HX-Request": "true",
            "Accept-Language": "en",
        },
    )


def test_an_api_registration_with_a_new_token_costs_two_round_trips(hot_class):
    course, twin, (warm, first, second, idle) = hot_class
    secrets = {r.pk: api_token_create(user=r, name="phone")[1] for r in (warm, first, second)}
    assert _api(twin, secrets[warm.pk])[0] == 201  # the connection opened and set up
    with round_trips() as confirmed:
        status, body = _api(course, secrets[first.pk])
    assert status == 201 and json.loads(body)["status"] == "confirmed"
    # The token with its user (its first use also stamps last_used, in the same statement), the registration
    # statement, which reads the class too (activities/registration_sql.py); autocommit, so no COMMIT of its own.
    assert len(confirmed) == 2, _short(confirmed)
    with round_trips() as waiting:
        status, body = _api(course, secrets[second.pk])
    assert status == 201 and json.loads(body)["waiting_position"] == 1
    assert len(waiting) == 2, _short(waiting)
    assert dict(Registration.objects.filter(course=course).values_list("resident_id", "status")) == {
        first.pk: RegistrationStatus.CONFIRMED,
        second.pk: RegistrationStatus.WAITLISTED,
    }
    assert not Registration.objects.filter(resident=idle).exists()


def test_an_api_registration_with_a_token_in_use_costs_one_round_trip(hot_class):
    course, twin, (warm, first, _second, _idle) = hot_class
    secret = api_token_create(user=first, name="phone")[1]
    assert _api(twin, secret)[0] == 201  # the token is read and stamped: its first use
    assert _api(twin, secret)[0] == 201  # a double-click: the token is in use, read and cached
    with round_trips() as sent:
        status, body = _api(course, secret)
    assert status == 201 and json.loads(body)["status"] == "confirmed"
    # The registration statement, with the class: the token comes from the cache.
    assert len(sent) == 1, _short(sent)
    assert all("accounts_apitoken" not in sql for sql in sent)


def test_a_portal_registration_costs_three_round_trips(hot_class):
    course, twin, (warm, first, second, _idle) = hot_class
    assert _portal(twin, _signed_in(warm))[0] == 200
    keys = {r.pk: _signed_in(r) for r in (first, second)}
    with round_trips() as sent:
        status, body = _portal(course, keys[first.pk])
    assert status == 200 and b"Registered." in body
    # The session, the user, the registration statement with the class and the calendar token (the status
    # block is built from what the statement answered).
    assert len(sent) == 3, _short(sent)
    with round_trips() as sent:
        status, body = _portal(course, keys[second.pk])
    assert status == 200 and b"You are number 1 on the waiting list." in body
    assert len(sent) == 3, _short(sent)
