"""The WSGI application (community_college/handlers.py): /api/ through the API's shorter middleware chain,
pages through the whole one. Requests here go through the application itself, not the test client."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.conf import settings

from accounts.api.services import api_token_create
from activities.models import Registration
from community_college.wsgi import application
from tests.factories import CourseFactory, ResidentFactory, SessionFactory


def _call(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE",) else f"HTTP_{key}"] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = {k.lower(): v for k, v in response_headers}
        answer["cookies"] = [v for k, v in response_headers if k.lower() == "set-cookie"]

    answer["body"] = b"".join(application(environ, start_response))
    return answer


def test_the_api_chain_is_the_pages_chain_without_what_only_pages_use():
    skipped = set(settings.API_SKIPS_MIDDLEWARE)
    assert skipped <= set(settings.MIDDLEWARE)
    assert [m for m in settings.MIDDLEWARE if m not in skipped] == settings.API_MIDDLEWARE
    # The security layers stay on the API's chain.
    for kept in (
        "community_college.client_ip.ClientIPMiddleware",
        "community_college.hygiene.InputHygieneMiddleware",
        "community_college.csp.ContentSecurityPolicyMiddleware",
        "ops.middleware.RequestIdMiddleware",
        "ops.middleware.DatabaseUnavailableMiddleware",
        "axes.middleware.AxesMiddleware",
    ):
        assert kept in settings.API_MIDDLEWARE
    api_chain = {type(m).__module__ + "." + type(m).__name__ for m in _middleware(application.api)}
    pages_chain = {type(m).__module__ + "." + type(m).__name__ for m in _middleware(application.pages)}
    assert "django.middleware.csrf.CsrfViewMiddleware" in pages_chain - api_chain
    assert "django.contrib.messages.middleware.MessageMiddleware" in pages_chain - api_chain


def _middleware(handler):
    # The chain's instances, found through the view-middleware hooks and the chain's closures.
    found, seen, todo = [], set(), [handler._middleware_chain]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if hasattr(obj, "get_response"):
            found.append(obj)
            todo.append(obj.get_response)
        for cell in getattr(obj, "__closure__", None) or ():
            todo.append(cell.cell_contents)
        if hasattr(obj, "__wrapped__"):
            todo.append(obj.__wrapped__)
    return found


@pytest.mark.django_db(transaction=True)
def test_an_app_registers_through_the_api_chain():
    course = CourseFactory(capacity=1)
    SessionFactory(course=course)
    other = CourseFactory(community=course.community, capacity=1)
    resident = ResidentFactory(profile__community=course.community)
    secret = api_token_create(user=resident, name="handler test")[1]
    answer = _call(
        "POST",
        f"/api/v1/courses/{course.pk}/register/",
        {"Authorization": f"Token {secret}", "Accept": "application/json", "Accept-Language": "en"},
    )
    assert answer["status"] == 201, answer["body"][:500]
    registration = Registration.objects.get(course=course, resident=resident)
    body = json.loads(answer["body"])
    assert (body["id"], body["status"], body["course_title"], body["waiting_position"]) == (
        registration.pk,
        "confirmed",
        course.title,
        None,
    )
    # Still behind the request id, the security headers and CSP.
    assert answer["headers"]["x-request-id"]
    assert "content-security-policy" in answer["headers"]
    assert answer["headers"]["x-content-type-options"] == "nosniff"
    assert not other.registrations.exists()


@pytest.mark.django_db
def test_the_api_chain_still_refuses_control_characters_and_answers_in_the_asked_language():
    answer = _call("GET", "/api/v1/courses/nearby/?category=%00", {"Accept-Language": "en"})
    assert answer["status"] == 400
    unauthenticated = _call("GET", "/api/v1/registrations/", {"Accept-Language": "en"})
    assert unauthenticated["status"] == 401
    assert json.loads(unauthenticated["body"])["detail"] == "Authentication credentials were not provided."


@pytest.mark.django_db
def test_pages_keep_the_whole_chain():
    answer = _call("GET", "/accounts/login/", {"Accept-Language": "en"})
    assert answer["status"] == 200
    # CSRF middleware (pages' chain only) hands the sign-in form its cookie.
    assert any(cookie.strip().startswith("csrftoken=") for cookie in answer["cookies"])
