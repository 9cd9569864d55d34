"""Small hand-made instances for the matching tests, placed on a north-south line so that distances
are exact multiples of the km given (a pure latitude difference is R * dphi under haversine)."""

from __future__ import annotations

import math
from typing import Any

from activities.matching.problem import Instance

BASE_LAT, BASE_LON = 29.6, 106.5
KM_PER_DEGREE = 6371.0 * math.pi / 180
A, B = "mon-0900", "tue-0900"


def north(km: float) -> dict[str, float]:
    """Coordinates ``km`` north of the base point."""
    return {"lat": BASE_LAT + km / KM_PER_DEGREE, "lon": BASE_LON}


def category(cid: int, min_size: int, max_size: int, facilities: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": cid,
        "name": f"cat{cid}",
        "facilities": list(facilities),
        "min_size": min_size,
        "max_size": max_size,
    }


def order(
    oid: int,
    cat: int,
    km: float = 0.1,
    slots: tuple[str, ...] = (),
    resident: int | None = None,
    weight: float = 1.0,
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": oid, "category": cat, **north(km), "slots": list(slots), "weight": weight}
    if resident is not None:
        item["resident"] = resident
    return item


def teacher(
    tid: int,
    skills: tuple[int, ...],
    slots: tuple[str, ...] = (A, B),
    max_sessions: int = 2,
    km: float = 0.0,
    max_km: float = 10.0,
) -> dict[str, Any]:
    return {
        "id": tid,
        "skills": list(skills),
        "slots": list(slots),
        "max_sessions": max_sessions,
        **north(km),
        "max_km": max_km,
    }


def venue(
    vid: int,
    facilities: tuple[str, ...] = (),
    slots: tuple[str, ...] = (A, B),
    capacity: int = 30,
    km: float = 0.0,
) -> dict[str, Any]:
    return {
        "id": vid,
        "capacity": capacity,
        "facilities": list(facilities),
        "slots": list(slots),
        **north(km),
    }


def instance_dict(
    *,
    categories: list[dict[str, Any]],
    orders: list[dict[str, Any]],
    teachers: list[dict[str, Any]],
    venues: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "version": 1,
        "max_walk_km": 1.2,
        "slots": [
            {"id": A, "weekday": 0, "start": "09:00", "end": "10:30"},
            {"id": B, "weekday": 1, "start": "09:00", "end": "10:30"},
        ],
        "categories": categories,
        "orders": orders,
        "teachers": teachers,
        "venues": venues,
    }


def make_instance(**parts: list[dict[str, Any]]) -> Instance:
    return Instance.from_dict(instance_dict(**parts))
