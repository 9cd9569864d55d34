"""Content-Security-Policy and Permissions-Policy, enforced on every answer.

Every script is a file served from this site (static/vendor: Bootstrap, htmx, ECharts, Swagger UI; static/js
for our own), so `script-src` needs no 'unsafe-inline'. A per-request nonce is in the policy
(`request.csp_nonce`) for a template that ever needs an inline script; none does today. The one inline
event handler left, in django-import-export's export page (a "select all" checkbox), is allowed by its hash
alone ('unsafe-hashes'), not by a blanket exception. Styles keep 'unsafe-inline': the admin's and
the libraries' `style=` attributes cannot carry nonces, and a style cannot run code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.conf import settings
from django.http import HttpRequest

# django-import-export 4's export form: onchange="onSelectToggleChange(event)".
ALLOWED_HANDLERS = ("onSelectToggleChange(event)",)


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# Hashed once per process: the policy is set on every answer (a registration's included).
_HANDLER_HASHES = " ".join(_hash(source) for source in ALLOWED_HANDLERS)
_AFTER_SCRIPTS = "; ".join(
    [
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(nonce: str) -> str:
    """The policy of one answer; `CSP_REPORT_URI` adds a report-uri when set."""
    policy = f"default-src 'self'; script-src 'self' 'nonce-{nonce}' 'unsafe-hashes' {_HANDLER_HASHES}; {_AFTER_SCRIPTS}"
    report_uri = getattr(settings, "CSP_REPORT_URI", "")
    return f"{policy}; report-uri {report_uri}" if report_uri else policy


# Geolocation is for this site only ("classes near me"); nothing here uses the rest.
PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",
        "camera=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "magnetometer=()",
        "gyroscope=()",
        "accelerometer=()",
        "interest-cohort=()",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Set both policies unless a view has set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.csp_nonce))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
