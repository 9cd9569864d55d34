"""Refuse malformed input at the door, before any view, form or query sees it.

Two kinds of request used to end in a server error deep inside a view:

- a NUL (or another control character) in a query parameter or a form field: PostgreSQL refuses NUL in
  text, SQLite's driver raises ValueError, and the admin's autocomplete, list filters and searches all
  passed it on. No field of this site takes control characters, so they are refused here, once, for
  every parameter and field (tab, line feed and carriage return stay allowed in form fields: text areas
  send them);
- an API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, which Django answers with its HTML 400 page.

API paths get the API's error shape (community_college/exceptions.py); other pages a short HTML page.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# C0 controls and DEL, except tab, line feed and carriage return, which text areas send.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Query parameters are typed in a search box or built by links: nothing there may be a control character.
_CONTROL_IN_QUERY = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a character no form field of this site accepts (NUL and other C0 controls)."""
    return bool(_CONTROL.search(value))


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def refusal(request: HttpRequest, *, status: int, code: str, detail: str) -> HttpResponse:
    """An error answered before any view: JSON in the API's shape under /api/, a small page elsewhere."""
    if is_api(request):
        return JsonResponse(
            {"code": code, "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    html = render_to_string("bad_request.html", {"detail": detail, "status": status}, request=request)
    return HttpResponse(html, status=status)


def _bad_parameter(querydict, pattern: re.Pattern) -> str | None:
    for key, values in querydict.lists():
        if pattern.search(key):
            return key
        for value in values:
            if isinstance(value, str) and pattern.search(value):
                return key
    return None


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class InputHygieneMiddleware:
    """Answer 413 for an oversized API body and 400 for control characters in parameters or form fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api(request) and limit is not None and _content_length(request) > limit:
            return refusal(request, status=413, code="too_large", detail=_("The request body is too large."))
        name = _bad_parameter(request.GET, _CONTROL_IN_QUERY)
        if name is None and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                name = _bad_parameter(request.POST, _CONTROL)
            except MultiPartParserError:
                return refusal(
                    request, status=400, code="parse_error", detail=_("The form data could not be read.")
                )
        if name is not None:
            return refusal(
                request,
                status=400,
                code="invalid",
                detail=_("The field “%(name)s” contains characters that are not allowed.")
                % {"name": _CONTROL_IN_QUERY.sub("?", name)[:60]},
            )
        return self.get_response(request)
