"""One error shape for the whole API, whoever raised the error: DRF, Django or a service.

    {"code": "invalid", "detail": "…", "fields": {"community": ["…"]}}

`detail` and the field messages are in the caller's language: services call gettext when they raise,
and LocaleMiddleware has already chosen the language from the profile, cookie or Accept-Language.

Services raise Django ValidationErrors (see community_college/errors.py); they map as:
ConflictError (and InvalidTransition) → 409, ScopeError → 403 (querysets are already scoped, so an
object the caller cannot see is a 404 before any service runs), any other ValidationError → 400.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import ConflictError, ScopeError

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(
        help_text="A stable machine-readable code, e.g. invalid, not_found, course_closed, throttled, "
        "locked_out."
    )
    detail = serializers.CharField(help_text="A sentence for the user, in their language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 only: messages per request field (non_field_errors for the request as a whole).",
    )
    retry_after = serializers.IntegerField(required=False, help_text="429 only: seconds to wait.")


class LockedOut(exceptions.Throttled):
    """Too many failed sign-ins for this account from this address (django-axes): 429 with retry_after."""

    default_code = "locked_out"
    default_detail = _lazy("Too many failed sign-ins. This account is locked from here for a while.")


def _error(code: str, detail: str, status_code: int, **extra) -> Response:
    return Response({"code": code, "detail": detail, **extra}, status=status_code)


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]}; nested fields are joined with dots."""
    if isinstance(detail, list):
        return {NON_FIELD: [str(item) for item in detail]}
    fields: dict[str, list[str]] = {}
    for name, value in detail.items():
        if isinstance(value, dict):
            for sub, messages in _flatten(value).items():
                fields[f"{name}.{sub}"] = messages
        elif isinstance(value, list):
            fields[name] = [
                str(item) if not isinstance(item, dict) else str(next(iter(item.values()), ""))
                for item in value
            ]
        else:
            fields[name] = [str(value)]
    return fields


def _django_validation(exc: DjangoValidationError) -> Response:
    code = getattr(exc, "code", None) or "invalid"
    if isinstance(exc, ConflictError):
        return _error(
            code if code != "invalid" else "conflict", " ".join(exc.messages), status.HTTP_409_CONFLICT
        )
    if isinstance(exc, ScopeError):
        return _error("permission_denied", " ".join(exc.messages), status.HTTP_403_FORBIDDEN)
    if hasattr(exc, "error_dict"):
        fields = {
            (NON_FIELD if name == "__all__" else name): messages
            for name, messages in exc.message_dict.items()
        }
    else:
        fields = {NON_FIELD: exc.messages}
    first = next(iter(fields.values()))[0] if fields else _("The request is not valid.")
    return _error("invalid", first, status.HTTP_400_BAD_REQUEST, fields=fields)


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error in the shape of ErrorSerializer."""
    if isinstance(exc, DjangoValidationError):
        return _django_validation(exc)
    if isinstance(exc, RequestDataTooBig):
        return _error("too_large", _("The request body is too large."), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        return _error("not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django answer 500 and log it
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else _("The request is not valid.")
        response.data = {"code": "invalid", "detail": first, "fields": fields}
    elif isinstance(exc, exceptions.Throttled):
        response.data = {
            "code": exc.default_code,
            "detail": str(exc.detail),
            "retry_after": int(exc.wait or 0),
        }
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = detail.code if hasattr(detail, "code") else exc.default_code
        response.data = {"code": code, "detail": str(detail)}
    return response


# --- Schema: the error answers each endpoint documents -------------------------------------------------------

_DESCRIPTIONS = {
    400: "Invalid request or filter: field errors in the user's language.",
    401: "Not signed in (no or bad token / session).",
    403: "Signed in but not allowed (wrong role, or read-only scope).",
    404: "No such object in the caller's scope (or, on a list, no such page).",
    409: "Refused by the rules: a full or closed class, an illegal status transition, a duplicate.",
    429: "Too many requests (`throttled`) or too many failed sign-ins (`locked_out`); retry after "
    "`retry_after` seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint for `extend_schema(responses=...)`; 401 and 403 always."""
    wanted = sorted({401, 403, *codes})
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in wanted}
