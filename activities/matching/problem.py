"""The matching problem and its solution, as plain frozen dataclasses.

These mirror the exchange format of ``docs/matching.md`` one to one: ``Instance.from_dict`` reads
the instance JSON, ``Solution.from_dict``/``Solution.to_dict`` read and write the solution JSON. Nothing
here knows about Django; the service layer builds an ``Instance`` from the database.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

EARTH_RADIUS_KM = 6371.0
# The spec compares every distance with this tolerance, so a venue exactly at the limit is in reach.
DISTANCE_TOLERANCE_KM = 1e-6
FORMAT_VERSION = 1


class FormatError(ValueError):
    """An instance or solution document does not follow the exchange format."""


class InstanceError(FormatError):
    """The instance JSON is malformed or inconsistent (duplicate ids, unknown references, bad values)."""


class SolutionError(FormatError):
    """The solution JSON is malformed (this is about shape; rule violations are the checker's job)."""


class Reason(StrEnum):
    """Why an order was left unassigned; the values are the spec's reason codes."""

    NO_TEACHER = "no_teacher"
    NO_VENUE = "no_venue"
    NO_COMMON_SLOT = "no_common_slot"
    BELOW_MIN_SIZE = "below_min_size"
    CAPACITY = "capacity"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees, on a sphere of radius 6371.0 km."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then raise.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def within(distance_km: float, limit_km: float) -> bool:
    """Whether a distance keeps a limit, with the spec's tolerance."""
    return distance_km <= limit_km + DISTANCE_TOLERANCE_KM


@dataclass(frozen=True, slots=True)
class Slot:
    """One weekly time window of a term; a class meets once a week in its slot."""

    id: str
    weekday: int
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Category:
    """An interest (二胡, 太极 ...) with the facilities its classes need and their size limits."""

    id: int
    name: str
    facilities: tuple[str, ...]
    min_size: int
    max_size: int


@dataclass(frozen=True, slots=True)
class Order:
    """A resident's order (点单) for a class in one category; empty ``slots`` means any slot."""

    id: int
    category: int
    lat: float
    lon: float
    slots: tuple[str, ...] = ()
    weight: float = 1.0
    resident: int | None = None

    @property
    def resident_key(self) -> tuple[str, int]:
        """Who placed the order; an order without a resident is its own resident."""
        if self.resident is None:
            return ("order", self.id)
        return ("resident", self.resident)

    def accepts_slot(self, slot: str) -> bool:
        """Whether the resident can attend a class in ``slot``."""
        return not self.slots or slot in self.slots


@dataclass(frozen=True, slots=True)
class Teacher:
    """A teacher: skills (category ids), free slots, a weekly session cap and how far they travel."""

    id: int
    skills: tuple[int, ...]
    slots: tuple[str, ...]
    max_sessions: int
    lat: float
    lon: float
    max_km: float


@dataclass(frozen=True, slots=True)
class Venue:
    """A room or space (场地) with its capacity, facilities and open slots."""

    id: int
    capacity: int
    facilities: tuple[str, ...]
    slots: tuple[str, ...]
    lat: float
    lon: float


@dataclass(frozen=True)
class Instance:
    """One matching problem: orders to pool into classes given teachers, venues and weekly slots."""

    max_walk_km: float
    slots: tuple[Slot, ...]
    categories: tuple[Category, ...]
    orders: tuple[Order, ...]
    teachers: tuple[Teacher, ...]
    venues: tuple[Venue, ...]
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        _validate_instance(self)

    # Look-ups are cached on the instance; cached_property writes to __dict__, which a frozen
    # dataclass without slots allows.
    @cached_property
    def slot_by_id(self) -> dict[str, Slot]:
        """Slots by id."""
        return {s.id: s for s in self.slots}

    @cached_property
    def category_by_id(self) -> dict[int, Category]:
        """Categories by id."""
        return {c.id: c for c in self.categories}

    @cached_property
    def order_by_id(self) -> dict[int, Order]:
        """Orders by id."""
        return {o.id: o for o in self.orders}

    @cached_property
    def teacher_by_id(self) -> dict[int, Teacher]:
        """Teachers by id."""
        return {t.id: t for t in self.teachers}

    @cached_property
    def venue_by_id(self) -> dict[int, Venue]:
        """Venues by id."""
        return {v.id: v for v in self.venues}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instance:
        """Read an instance from the spec's JSON structure, raising ``InstanceError`` when it is invalid."""
        if not isinstance(data, Mapping):
            raise InstanceError("the instance must be a JSON object")
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise InstanceError(f"unsupported instance version {version!r}; this reader knows version 1")
        try:
            return cls(
                version=version,
                max_walk_km=_number(data, "max_walk_km", "instance", minimum=0.0),
                slots=tuple(_read_slot(s, i) for i, s in enumerate(_list(data, "slots", "instance"))),
                categories=tuple(
                    _read_category(c, i) for i, c in enumerate(_list(data, "categories", "instance"))
                ),
                orders=tuple(_read_order(o, i) for i, o in enumerate(_list(data, "orders", "instance"))),
                teachers=tuple(
                    _read_teacher(t, i) for i, t in enumerate(_list(data, "teachers", "instance"))
                ),
                venues=tuple(_read_venue(v, i) for i, v in enumerate(_list(data, "venues", "instance"))),
            )
        except InstanceError:
            raise
        except (TypeError, ValueError, KeyError) as exc:  # pragma: no cover - belt and braces
            raise InstanceError(str(exc)) from exc

    @classmethod
    def from_json(cls, text: str) -> Instance:
        """Parse instance JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InstanceError(f"the instance is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON structure for this instance; ``resident`` is left out when absent."""
        orders = []
        for o in self.orders:
            item: dict[str, Any] = {"id": o.id}
            if o.resident is not None:
                item["resident"] = o.resident
            item.update(category=o.category, lat=o.lat, lon=o.lon, slots=list(o.slots), weight=o.weight)
            orders.append(item)
        return {
            "version": self.version,
            "max_walk_km": self.max_walk_km,
            "slots": [{"id": s.id, "weekday": s.weekday, "start": s.start, "end": s.end} for s in self.slots],
            "categories": [
                {
                    "id": c.id,
                    "name": c.name,
                    "facilities": list(c.facilities),
                    "min_size": c.min_size,
                    "max_size": c.max_size,
                }
                for c in self.categories
            ],
            "orders": orders,
            "teachers": [
                {
                    "id": t.id,
                    "skills": list(t.skills),
                    "slots": list(t.slots),
                    "max_sessions": t.max_sessions,
                    "lat": t.lat,
                    "lon": t.lon,
                    "max_km": t.max_km,
                }
                for t in self.teachers
            ],
            "venues": [
                {
                    "id": v.id,
                    "capacity": v.capacity,
                    "facilities": list(v.facilities),
                    "slots": list(v.slots),
                    "lat": v.lat,
                    "lon": v.lon,
                }
                for v in self.venues
            ],
        }

    def to_json(self, indent: int | None = None) -> str:
        """Serialise to JSON text (UTF-8 friendly: Chinese names are kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


@dataclass(frozen=True, slots=True)
class ClassAssignment:
    """One class of the solution: a category taught by a teacher at a venue in a slot, with its orders."""

    category: int
    teacher: int
    venue: int
    slot: str
    orders: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Unassigned:
    """An order left out, with the reason code."""

    order: int
    reason: str


@dataclass(frozen=True)
class Solution:
    """The solver's answer: the classes it opens and the orders it leaves out."""

    classes: tuple[ClassAssignment, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    # Solver statistics travel with the solution in memory but are not part of the exchange format.
    stats: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Solution:
        """Read a solution from the spec's JSON structure, raising ``SolutionError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise SolutionError("the solution must be a JSON object")
        classes_raw = data.get("classes", [])
        unassigned_raw = data.get("unassigned", [])
        if not isinstance(classes_raw, list) or not isinstance(unassigned_raw, list):
            raise SolutionError("'classes' and 'unassigned' must be lists")
        classes = []
        for i, c in enumerate(classes_raw):
            where = f"classes[{i}]"
            if not isinstance(c, Mapping):
                raise SolutionError(f"{where} must be an object")
            orders = c.get("orders")
            if not isinstance(orders, list):
                raise SolutionError(f"{where}.orders must be a list of order ids")
            classes.append(
                ClassAssignment(
                    category=_int(c, "category", where, SolutionError),
                    teacher=_int(c, "teacher", where, SolutionError),
                    venue=_int(c, "venue", where, SolutionError),
                    slot=_str(c, "slot", where, SolutionError),
                    orders=tuple(_int_value(o, f"{where}.orders", SolutionError) for o in orders),
                )
            )
        unassigned = []
        for i, u in enumerate(unassigned_raw):
            where = f"unassigned[{i}]"
            if not isinstance(u, Mapping):
                raise SolutionError(f"{where} must be an object")
            unassigned.append(
                Unassigned(
                    order=_int(u, "order", where, SolutionError),
                    reason=_str(u, "reason", where, SolutionError),
                )
            )
        return cls(classes=tuple(classes), unassigned=tuple(unassigned))

    @classmethod
    def from_json(cls, text: str) -> Solution:
        """Parse solution JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SolutionError(f"the solution is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON structure for this solution."""
        return {
            "classes": [
                {
                    "category": c.category,
                    "teacher": c.teacher,
                    "venue": c.venue,
                    "slot": c.slot,
                    "orders": list(c.orders),
                }
                for c in self.classes
            ],
            "unassigned": [{"order": u.order, "reason": str(u.reason)} for u in self.unassigned],
        }

    def to_json(self, indent: int | None = None) -> str:
        """Serialise to JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def normalized(self, slot_order: Mapping[str, int] | None = None) -> Solution:
        """The same solution in a canonical order, so equal solutions serialise to identical JSON."""
        rank = slot_order or {}

        def class_key(c: ClassAssignment) -> tuple[Any, ...]:
            return (rank.get(c.slot, len(rank)), c.slot, c.venue, c.category, c.teacher, c.orders)

        classes = sorted(
            (
                ClassAssignment(c.category, c.teacher, c.venue, c.slot, tuple(sorted(c.orders)))
                for c in self.classes
            ),
            key=class_key,
        )
        unassigned = sorted(self.unassigned, key=lambda u: u.order)
        return Solution(classes=tuple(classes), unassigned=tuple(unassigned), stats=self.stats)


# --- reading helpers -------------------------------------------------------------------------------


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InstanceError(f"{where}.{key} must be a list")
    return value


def _int_value(value: Any, where: str, error: type[FormatError] = InstanceError) -> int:
    # bool is an int subclass in Python, but `true` is never a valid id or count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{where} must be an integer, got {value!r}")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, error: type[FormatError] = InstanceError) -> int:
    if key not in data:
        raise error(f"{where}.{key} is missing")
    return _int_value(data[key], f"{where}.{key}", error)


def _str(data: Mapping[str, Any], key: str, where: str, error: type[FormatError] = InstanceError) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise error(f"{where}.{key} must be a string, got {value!r}")
    return value


def _number(
    data: Mapping[str, Any],
    key: str,
    where: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    default: float | None = None,
) -> float:
    if key not in data and default is not None:
        return default
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstanceError(f"{where}.{key} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise InstanceError(f"{where}.{key} must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise InstanceError(f"{where}.{key} must be at most {maximum}, got {value!r}")
    return float(value)


def _strs(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InstanceError(f"{where}.{key} must be a list of strings")
    return tuple(value)


def _ints(data: Mapping[str, Any], key: str, where: str) -> tuple[int, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InstanceError(f"{where}.{key} must be a list of integers")
    return tuple(_int_value(v, f"{where}.{key}") for v in value)


def _object(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InstanceError(f"{where} must be an object")
    return raw


def _read_slot(raw: Any, i: int) -> Slot:
    where = f"slots[{i}]"
    d = _object(raw, where)
    return Slot(
        id=_str(d, "id", where),
        weekday=_int(d, "weekday", where),
        start=_str(d, "start", where),
        end=_str(d, "end", where),
    )


def _read_category(raw: Any, i: int) -> Category:
    where = f"categories[{i}]"
    d = _object(raw, where)
    name = d.get("name", "")
    if not isinstance(name, str):
        raise InstanceError(f"{where}.name must be a string")
    return Category(
        id=_int(d, "id", where),
        name=name,
        facilities=_strs(d, "facilities", where),
        min_size=_int(d, "min_size", where),
        max_size=_int(d, "max_size", where),
    )


def _read_order(raw: Any, i: int) -> Order:
    where = f"orders[{i}]"
    d = _object(raw, where)
    resident = d.get("resident")
    return Order(
        id=_int(d, "id", where),
        resident=None if resident is None else _int_value(resident, f"{where}.resident"),
        category=_int(d, "category", where),
        lat=_number(d, "lat", where, minimum=-90.0, maximum=90.0),
        lon=_number(d, "lon", where, minimum=-180.0, maximum=180.0),
        slots=_strs(d, "slots", where),
        weight=_number(d, "weight", where, default=1.0),
    )


def _read_teacher(raw: Any, i: int) -> Teacher:
    where = f"teachers[{i}]"
    d = _object(raw, where)
    return Teacher(
        id=_int(d, "id", where),
        skills=_ints(d, "skills", where),
        slots=_strs(d, "slots", where),
        max_sessions=_int(d, "max_sessions", where),
        lat=_number(d, "lat", where, minimum=-90.0, maximum=90.0),
        lon=_number(d, "lon", where, minimum=-180.0, maximum=180.0),
        max_km=_number(d, "max_km", where, minimum=0.0),
    )


def _read_venue(raw: Any, i: int) -> Venue:
    where = f"venues[{i}]"
    d = _object(raw, where)
    return Venue(
        id=_int(d, "id", where),
        capacity=_int(d, "capacity", where),
        facilities=_strs(d, "facilities", where),
        slots=_strs(d, "slots", where),
        lat=_number(d, "lat", where, minimum=-90.0, maximum=90.0),
        lon=_number(d, "lon", where, minimum=-180.0, maximum=180.0),
    )


# --- validation --------------------------------------------------------------------------------------


def _unique(ids: Iterable[Any], what: str) -> set[Any]:
    seen: set[Any] = set()
    for i in ids:
        if i in seen:
            raise InstanceError(f"duplicate {what} id {i!r}")
        seen.add(i)
    return seen


def _validate_instance(inst: Instance) -> None:
    if not math.isfinite(inst.max_walk_km) or inst.max_walk_km < 0:
        raise InstanceError(f"max_walk_km must be a non-negative number, got {inst.max_walk_km!r}")
    slot_ids = _unique((s.id for s in inst.slots), "slot")
    category_ids = _unique((c.id for c in inst.categories), "category")
    _unique((o.id for o in inst.orders), "order")
    _unique((t.id for t in inst.teachers), "teacher")
    _unique((v.id for v in inst.venues), "venue")

    def known_slots(slots: Iterable[str], where: str) -> None:
        for s in slots:
            if s not in slot_ids:
                raise InstanceError(f"{where} refers to unknown slot {s!r}")

    for c in inst.categories:
        if c.min_size < 1:
            raise InstanceError(f"category {c.id}: min_size must be at least 1, got {c.min_size}")
        if c.max_size < c.min_size:
            raise InstanceError(f"category {c.id}: max_size {c.max_size} is below min_size {c.min_size}")
    for o in inst.orders:
        if o.category not in category_ids:
            raise InstanceError(f"order {o.id} refers to unknown category {o.category}")
        if not (o.weight > 0 and math.isfinite(o.weight)):
            raise InstanceError(f"order {o.id}: weight must be a positive number, got {o.weight!r}")
        known_slots(o.slots, f"order {o.id}")
    for t in inst.teachers:
        for skill in t.skills:
            if skill not in category_ids:
                raise InstanceError(f"teacher {t.id} has unknown skill (category) {skill}")
        if t.max_sessions < 0:
            raise InstanceError(f"teacher {t.id}: max_sessions must not be negative")
        if t.max_km < 0:
            raise InstanceError(f"teacher {t.id}: max_km must not be negative")
        known_slots(t.slots, f"teacher {t.id}")
    for v in inst.venues:
        if v.capacity < 0:
            raise InstanceError(f"venue {v.id}: capacity must not be negative")
        known_slots(v.slots, f"venue {v.id}")
