"""Errors the services raise. They are ValidationErrors, so forms and the admin show them as they are."""

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The request is valid but the world disagrees: an illegal transition, a booked room (HTTP 409)."""


class InvalidTransition(ConflictError):
    pass


class ScopeError(ValidationError):
    """The actor acts outside their node of the organisation tree."""


def field_error(field: str, message, *, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code.

    `ValidationError({field: message}, code=…)` drops the code (Django keeps none beside a dict of errors), and
    callers — the API's error body, tests, a form that reacts to one refusal — tell refusals apart by it.
    """
    return ValidationError({field: [ValidationError(message, code=code)]})
