"""Content-Security-Policy and Permissions-Policy, enforced, in production settings; no inline script anywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from community_college.csp import ALLOWED_HANDLERS

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']([^\"']*)[\"']", re.I)


@pytest.fixture
def production(settings):
    """The production block of settings.py, as DJANGO_DEBUG=0 sets it (HTTPS answered over secure=True)."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.X_FRAME_OPTIONS = "DENY"
    settings.SECURE_REFERRER_POLICY = "same-origin"


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def _assert_enforced(response) -> None:
    assert "Content-Security-Policy-Report-Only" not in response.headers
    policy = _policy(response)
    assert policy["default-src"] == "default-src 'self'"
    script = policy["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script
    assert re.search(r"'nonce-[\w-]{16,}'", script)
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=(self)" in response["Permissions-Policy"]


def _assert_no_inline_code(html: str) -> None:
    assert INLINE_SCRIPT.findall(html) == []
    assert [h for h in INLINE_HANDLER.findall(html) if h not in ALLOWED_HANDLERS] == []
    assert "javascript:" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "owner", "staff", "district_office"])
@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/admin/login/", "/admin/", "/dashboards/", "/interests/", "/api/docs/"]
)
def test_pages_send_an_enforced_policy_and_carry_no_inline_code(world, client, production, who, path):
    if who is not None:
        client.force_login(getattr(world, who))
    response = client.get(path, secure=True, follow=True)
    assert response.status_code in (200, 403)
    _assert_enforced(response)
    _assert_no_inline_code(response.content.decode())


@pytest.mark.django_db
def test_every_answer_gets_a_fresh_nonce(world, client, production):
    first = _policy(client.get("/", secure=True))["script-src"]
    second = _policy(client.get("/", secure=True))["script-src"]
    assert first != second


@pytest.mark.django_db
def test_the_api_and_swagger_script_answer_with_the_policy(world, api, production):
    response = api(world.staff).get("/api/v1/staff/orders/", secure=True)
    assert response.status_code == 200
    _assert_enforced(response)
    script = api().get("/api/docs/?script=", secure=True)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_no_template_of_the_project_has_inline_script_or_handlers():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 20
    offenders = {
        str(path.relative_to(ROOT)): INLINE_SCRIPT.findall(text) + INLINE_HANDLER.findall(text)
        for path in templates
        if (INLINE_SCRIPT.search(text := path.read_text()) or INLINE_HANDLER.search(text) or "javascript:" in text)
    }
    assert offenders == {}


def test_production_settings_send_both_policies(tmp_path):
    """Through the real settings module with DJANGO_DEBUG=0, not overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-and-random-production-key-" + "x7Q!" * 12,
        DJANGO_ALLOWED_HOSTS="college.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        DJANGO_SETTINGS_MODULE="community_college.settings",
    )
    probe = (
        "import json, django; django.setup(); from django.test import Client;"
        "r = Client().get('/healthz', secure=True, HTTP_HOST='college.example.org');"
        "print(json.dumps({'status': r.status_code, 'csp': r.get('Content-Security-Policy'),"
        "'pp': r.get('Permissions-Policy'), 'hsts': r.get('Strict-Transport-Security')}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert answer["csp"].startswith("default-src 'self'; script-src 'self' 'nonce-")
    assert "'unsafe-inline'" not in answer["csp"].split(";")[1]
    assert "camera=()" in answer["pp"]
    assert answer["hsts"].startswith("max-age=31536000")
