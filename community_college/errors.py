"""Errors the services raise. They are ValidationErrors, so forms and the admin show them as they are."""

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The request is valid but the world disagrees: an illegal transition, a booked room (HTTP 409)."""


class InvalidTransition(ConflictError):
    pass


class ScopeError(ValidationError):
    """The actor acts outside their node of the organisation tree."""
