"""Request middleware: a request id on every request, and a 503 when the database goes away mid-request."""

from __future__ import annotations

import logging
import re
import uuid

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .context import reset_request_id, set_request_id

logger = logging.getLogger(__name__)

# A caller's id is kept only if it looks like one (no log injection through the header).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
RETRY_AFTER_SECONDS = 30


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy (or makes one), puts it in the logs' context and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class DatabaseUnavailableMiddleware:
    """A connection lost or refused while a view runs answers 503 (page or API error shape), not 500.

    Services are atomic, so the interrupted write was rolled back whole: the page says nothing was
    saved half-way, and the client may retry. The next request reconnects (CONN_HEALTH_CHECKS).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        from .metrics import DB_UNAVAILABLE

        DB_UNAVAILABLE.inc()
        if _is_query_error(exception):
            # A statement or lock timeout: the busy resource answers 503 too, but it is a slow query to fix.
            logger.error("query timed out during %s %s", request.method, request.path)
        else:
            logger.warning(
                "database unavailable during %s %s: %s", request.method, request.path, type(exception).__name__
            )
        _discard_broken_connection()
        if _wants_json(request):
            response = JsonResponse(
                {
                    "code": "service_unavailable",
                    "detail": _("The service is briefly unavailable. Nothing was saved; please try again."),
                },
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html", request=request), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _is_query_error(exception: Exception) -> bool:
    cause = exception.__cause__
    pgcode = getattr(cause, "pgcode", None)
    # 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout).
    return pgcode in {"57014", "55P03"}


def _discard_broken_connection() -> None:
    from django.db import connection

    # Django closes unusable connections at the end of the request anyway; doing it now also leaves any
    # atomic block the view left open, so the 503 page renders without "current transaction is aborted".
    try:
        if connection.in_atomic_block:
            transaction.set_rollback(True)
        connection.close()
    except Exception:  # the connection is already gone; nothing to tidy
        logger.debug("closing a broken connection failed", exc_info=True)
