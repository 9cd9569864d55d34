"""A small iCalendar (RFC 5545) writer for the residents' personal session feeds.

Written by hand to avoid a dependency for the little the feed needs: content lines end in CRLF, TEXT
values escape backslash, semicolon, comma and newlines (3.3.11), and lines longer than 75 octets are
folded with CRLF + one space (3.1) — never inside a UTF-8 sequence, which matters for Chinese text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str, limit: int = MAX_OCTETS) -> str:
    """Fold one content line so that no physical line is longer than `limit` octets (RFC 5545 3.1)."""
    if len(line.encode()) <= limit:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    budget = limit
    for char in line:
        width = len(char.encode())
        if size + width > budget:
            parts.append("".join(current))
            current, size = [], 0
            budget = limit - 1  # continuation lines begin with the folding space
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def format_utc(value: datetime) -> str:
    """A DATE-TIME in UTC ("form #2"): 20261005T010000Z. `value` must be aware."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    geo: tuple[float, float] | None = None
    url: str = ""
    cancelled: bool = False


def _event_lines(event: Event, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{format_utc(event.start)}",
        f"DTEND:{format_utc(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.geo is not None:
        # GEO is two FLOAT values separated by a literal semicolon (3.8.1.6): not escaped.
        lines.append(f"GEO:{event.geo[0]:.6f};{event.geo[1]:.6f}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append(f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Event], *, name: str, prodid: str, now: datetime) -> str:
    """A whole VCALENDAR object, folded and CRLF-terminated, ready to be served as text/calendar."""
    stamp = format_utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        # Ask subscribing clients to refresh a few times a day: places and rooms do change.
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
    ]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
