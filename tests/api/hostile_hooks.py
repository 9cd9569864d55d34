"""Schemathesis hooks for the hostile pass (SCHEMATHESIS_HOOKS=tests.api.hostile_hooks).

Each generated body and query is offered in its generated form and in variants an attacker sends instead:
deep nesting, NUL and other control characters, numbers no column holds, dates at the ends of the
calendar and time-zone offsets no zone has, a very long string. The API must answer every one with a 4xx
in its error shape (or a 2xx where the value is harmless), never a 5xx.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

DEEP = 200  # deeper than API_JSON_MAX_DEPTH, shallow enough for the client's own json.dumps
HOSTILE_VALUES = [
    "\x00",
    "tai\x00ji",
    "\x1b[31m",
    10**40,
    -(10**40),
    2**63,
    1.7e308,
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59+08:00",
    "2026-01-01T00:00:00+18:51",
    "x" * 20000,
]


def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _variants(data) -> list:
    variants = [data, _nested(DEEP)]
    if isinstance(data, dict):
        for key in data:
            variants.extend({**data, key: bad} for bad in HOSTILE_VALUES)
        variants.append({**data, "\x00": 1})
    return variants


@schemathesis.hook
def flatmap_body(context, body):
    return st.sampled_from(_variants(body))


@schemathesis.hook
def flatmap_query(context, query):
    if not isinstance(query, dict) or not query:
        return st.just(query)
    variants = [query]
    for key in query:
        variants.extend({**query, key: str(bad)} for bad in HOSTILE_VALUES if not isinstance(bad, float))
    return st.sampled_from(variants)
