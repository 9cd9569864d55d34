"""Time fields in the OpenAPI schema describe what the API really sends."""

from __future__ import annotations

import re

import pytest

from interests.models import ResidentAvailability

pytestmark = pytest.mark.django_db


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_times_in_answers_match_their_schema(world, api, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert [n for n in _walk(schema) if n.get("format") == "time"] == []
    window = schema["components"]["schemas"]["Window"]["properties"]
    pattern = window["start"]["pattern"]
    ResidentAvailability.objects.create(profile=world.owner.profile, weekday=2, start="14:30", end="16:00")
    answer = api(world.owner).get("/api/v1/me/profile/")
    assert answer.status_code == 200
    times = [(w["start"], w["end"]) for w in answer.json()["availability"]]
    assert times == [("14:30:00", "16:00:00")]
    assert all(re.match(pattern, t) for pair in times for t in pair)
    assert not re.match(pattern, "25:00:00") and not re.match(pattern, "14:30:00+08:00")
