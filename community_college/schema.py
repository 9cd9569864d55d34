"""Post-processing of the OpenAPI schema (drf-spectacular's POSTPROCESSING_HOOKS)."""

from __future__ import annotations

from copy import deepcopy

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


# community_college/hygiene.py refuses these in every form field and JSON string (tab, LF, CR allowed) and
# in every query parameter (none allowed).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
QUERY_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
BAD_INPUT = {
    "description": "Invalid request or filter, or control characters in a parameter or field "
    "(refused for every operation before it runs).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
TOO_LARGE = {
    "description": "The body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _free_text(schema) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and not any(key in schema for key in ("format", "enum", "pattern", "readOnly"))
    )


def _restrict_strings(node, pattern: str) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if _free_text(item):
                item["pattern"] = pattern
            stack.extend(v for k, v in item.items() if k != "example")
        elif isinstance(item, list):
            stack.extend(item)


def input_rules(result, generator, request, public):
    """State in the schema what the door refuses (community_college/hygiene.py, parsers.py).

    Every operation may answer 400 (control characters in any parameter or field) and, with a body, 413;
    free-text strings of requests and parameters carry the pattern that excludes control characters.
    """
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"].setdefault("400", deepcopy(BAD_INPUT))
            if "requestBody" in operation:
                operation["responses"].setdefault("413", deepcopy(TOO_LARGE))
                _restrict_strings(operation["requestBody"], TEXT_PATTERN)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("query", "path"):
                    _restrict_strings(parameter.get("schema"), QUERY_TEXT_PATTERN)
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _restrict_strings(schema, TEXT_PATTERN)
    return result
