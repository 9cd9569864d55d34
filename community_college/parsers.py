"""The API's JSON parser: bounded before it parses, strict about what it accepts.

Python's json module recurses once per nesting level, so a body of two thousand brackets ends in a
RecursionError (a 500) on every JSON endpoint. The depth is measured on the raw text first, with the
strings blanked out, and a body deeper than `API_JSON_MAX_DEPTH` is refused before `json.loads` runs.
After parsing, strings with control characters (a NUL reaches PostgreSQL as an error) and numbers no
column can hold (NaN, infinities, integers beyond 64 bits) are refused too: one place for every JSON view.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from .hygiene import has_control_characters

DEFAULT_MAX_DEPTH = 32
# 64-bit integer columns; anything wider is never a valid id, count or amount.
INT_LIMIT = 2**63
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = _("The request body is too large.")


def nesting_depth(raw: bytes, limit: int) -> int:
    """The deepest bracket nesting of a JSON text, counting no further than limit + 1."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_int(text: str) -> int:
    value = int(text)
    if not -INT_LIMIT <= value < INT_LIMIT:
        raise ValueError("integer out of range")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _check_strings(value) -> bool:
    """True when every string (keys included) of the parsed body is free of control characters."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_control_characters(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class SafeJSONParser(JSONParser):
    """DRF's JSONParser with a size limit, a depth limit and a check of what was parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # One byte past the limit is enough to know the body is too large; the rest is never read.
        read_size = -1 if limit is None else limit + 1
        raw = b"" if stream is None else stream.read(read_size)
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge()
        max_depth = getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        if nesting_depth(raw, max_depth) > max_depth:
            raise exceptions.ParseError(
                _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": max_depth}
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                raw.decode(encoding),
                parse_constant=_refuse_constant,
                parse_int=_parse_int,
                parse_float=_parse_float,
            )
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("The body is not valid JSON.")) from exc
        if not _check_strings(data):
            raise exceptions.ParseError(_("The body contains control characters."))
        return data
