"""The WSGI application: API requests through a shorter middleware chain than pages.

An app's `POST /api/v1/courses/<id>/register/` needs neither static files, CSRF middleware (DRF checks CSRF
itself for the session-authenticated calls it accepts), flash messages nor allauth's sign-in state; at the
opening of a popular class those layers are a noticeable share of each request's CPU. Django builds one
chain per handler from settings.MIDDLEWARE, so this module builds two handlers — the pages' chain from
MIDDLEWARE and the API's from API_MIDDLEWARE (settings: MIDDLEWARE without API_SKIPS_MIDDLEWARE) — and
routes each request by its path. Everything else (URLs, views, request_started/finished, the connection
handling) is Django's own. Tests go through Django's test client, which uses the full chain; the API
chain itself is tested through this application (tests/test_handlers.py).
"""

from __future__ import annotations

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/"


class ApiWSGIHandler(WSGIHandler):
    """Django's WSGI handler with settings.API_MIDDLEWARE as its chain."""

    def load_middleware(self, is_async=False):
        pages = settings.MIDDLEWARE
        # Read once, here, at start-up (one thread): the chain is built and MIDDLEWARE is put back.
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


def get_application():
    django.setup(set_prefix=False)
    pages = WSGIHandler()
    api = ApiWSGIHandler()

    def application(environ, start_response):
        handler = api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else pages
        return handler(environ, start_response)

    application.pages, application.api = pages, api
    return application
