"""Post-processing of the OpenAPI schema (drf-spectacular's POSTPROCESSING_HOOKS)."""

from __future__ import annotations

# What DRF's TimeField reads and writes: "14:30" or "14:30:00", local time, no offset.
LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def local_times(result, generator, request, public):
    """Describe times as the API sends them.

    OpenAPI's `format: time` is RFC 3339's full-time, which carries an offset ("14:30:00+08:00"); the API's
    times are wall-clock times of the portal's zone ("14:30:00"), so every answer failed its own schema.
    They are described by a pattern instead.
    """
    stack = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("format") == "time" and node.get("type") == "string":
                del node["format"]
                node["pattern"] = LOCAL_TIME_PATTERN
                node.setdefault("example", "14:30:00")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result
