"""Near misses: orders left out that would open a class under ONE named relaxation of the rules.

After a solve, for the orders left as ``below_min_size`` or ``no_common_slot``, this finds the groups of
orders that would form a class if exactly one rule were relaxed, with a venue slot and a teacher that the
solution leaves free:

- ``radius``: residents farther than ``max_walk_km`` but within ``RADIUS_LIMIT_KM`` (2 km) walk further;
- ``slot``: residents meet in a slot that is inside their weekly free times (``Order.free_slots``) but
  not among the slots they chose for this order;
- ``smaller``: the teacher accepts a class below the interest's ``min_size`` (``Teacher.min_class``);
- ``parent``: orders of a narrower interest join a class of its parent in the V-tree (``Category.parent``:
  民族舞 orders in a 舞蹈 class);
- ``group``: residents join an existing interest group of the same interest (``Instance.groups``) within
  ``RADIUS_LIMIT_KM`` of home.

Each near miss lists ``orders`` (those that fit the class under the rules, none of them asked anything)
and ``extra`` (those who join only under the relaxation: their walk, time or interest changes, so they
are asked first). ``needed`` is the interest's minimum class size and ``min_size`` the size the relaxed
class needs (smaller only for ``smaller``); "4 of 5, one more resident within 1.45 km" reads as
``len(orders)`` of ``needed``, ``len(extra)`` more under the relaxation.

Near misses are alternatives, not a plan: within one relaxation no order, venue slot or teacher slot is
used twice, but across relaxations they may overlap (staff apply one of them). ``checker.check_near_misses``
verifies every near miss against the instance and the solution, as the referee does for classes.

No Django here; the same instance the solver saw is the only input, so counts and near misses are as
truthful as the reasons.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .index import _near_pairs
from .problem import Instance, Order, Reason, Solution, SolutionError, haversine_km, within

# The farthest walk the radius relaxation offers (the "up to 2 km").
RADIUS_LIMIT_KM = 2.0
# Only orders the solver left for want of neighbours or of a common time are near misses.
ELIGIBLE = frozenset({Reason.BELOW_MIN_SIZE.value, Reason.NO_COMMON_SLOT.value})
# A resident beyond the walking limit of every venue is told ``no_venue``; walking farther is exactly
# what the radius relaxation asks of them, so they may join a radius near miss as an extra. Likewise an
# order of a narrower interest nobody teaches (``no_teacher``) may join a class of its parent.
ELIGIBLE_FAR = ELIGIBLE | {Reason.NO_VENUE.value}
ELIGIBLE_BROADER = ELIGIBLE | {Reason.NO_TEACHER.value}


class Relaxation(StrEnum):
    """The one rule a near miss relaxes."""

    RADIUS = "radius"
    SLOT = "slot"
    SMALLER = "smaller"
    PARENT = "parent"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A class (or a group to join) that one relaxation would make possible."""

    relaxation: str
    category: int
    orders: tuple[int, ...]
    extra: tuple[int, ...]
    needed: int
    min_size: int
    venue: int | None = None
    slot: str | None = None
    teacher: int | None = None
    group: int | None = None
    # radius: the farthest walk an extra resident would take; group: the farthest resident from the group.
    radius_km: float | None = None

    @property
    def size(self) -> int:
        """How many orders the class (or the group) would take."""
        return len(self.orders) + len(self.extra)

    @property
    def missing(self) -> int:
        """How many residents the rules alone leave it short of the interest's minimum."""
        return max(0, self.needed - len(self.orders))

    def describe(self) -> str:
        """One line in English for logs and the command line; the portal writes its own translated text."""
        n = len(self.extra)
        if self.relaxation == Relaxation.GROUP:
            return f"{n} could join group {self.group} (within {self.radius_km:.2f} km)"
        head = f"{len(self.orders)} of {self.needed}"
        if self.relaxation == Relaxation.RADIUS:
            tail = f"{n} more within {self.radius_km:.2f} km"
        elif self.relaxation == Relaxation.SLOT:
            tail = f"{n} more if the class meets in {self.slot}"
        elif self.relaxation == Relaxation.SMALLER:
            tail = f"teacher {self.teacher} accepts a class of {self.min_size}"
        else:
            tail = f"{n} more from narrower interests join a class of category {self.category}"
        return f"{head}, {tail}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON of one near miss (the optional ``near_misses`` list of a solution document)."""
        out: dict[str, Any] = {
            "relaxation": str(self.relaxation),
            "category": self.category,
            "orders": list(self.orders),
            "extra": list(self.extra),
            "needed": self.needed,
            "min_size": self.min_size,
        }
        for key in ("venue", "slot", "teacher", "group", "radius_km"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "near_misses[]") -> NearMiss:
        """Read one near miss, raising ``SolutionError`` on a wrong shape."""
        if not isinstance(data, Mapping):
            raise SolutionError(f"{where} must be an object")

        def ints(key: str) -> tuple[int, ...]:
            value = data.get(key, [])
            if not isinstance(value, list) or any(
                isinstance(v, bool) or not isinstance(v, int) for v in value
            ):
                raise SolutionError(f"{where}.{key} must be a list of order ids")
            return tuple(value)

        def opt(key: str, kind: type | tuple[type, ...]) -> Any:
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
                raise SolutionError(f"{where}.{key} has the wrong type: {value!r}")
            return value

        for key in ("relaxation", "category", "needed", "min_size"):
            if key not in data:
                raise SolutionError(f"{where}.{key} is missing")
        radius = opt("radius_km", (int, float))
        return cls(
            relaxation=opt("relaxation", str),
            category=opt("category", int),
            orders=ints("orders"),
            extra=ints("extra"),
            needed=opt("needed", int),
            min_size=opt("min_size", int),
            venue=opt("venue", int),
            slot=opt("slot", str),
            teacher=opt("teacher", int),
            group=opt("group", int),
            radius_km=None if radius is None else float(radius),
        )


def read_near_misses(data: Mapping[str, Any]) -> tuple[NearMiss, ...]:
    """The ``near_misses`` of a solution document (none when the key is absent)."""
    raw = data.get("near_misses", [])
    if not isinstance(raw, list):
        raise SolutionError("'near_misses' must be a list")
    return tuple(NearMiss.from_dict(item, f"near_misses[{i}]") for i, item in enumerate(raw))


@dataclass(frozen=True)
class NearMissReport:
    """The near misses of a solution; ``complete`` is False when the deadline cut the search short."""

    near_misses: tuple[NearMiss, ...]
    complete: bool
    seconds: float

    def by_relaxation(self) -> dict[str, int]:
        """How many near misses each relaxation found (every relaxation named, zeros included)."""
        counts = Counter(n.relaxation for n in self.near_misses)
        return {r.value: counts.get(r.value, 0) for r in Relaxation}


class Occupancy:
    """What a solution uses: venue slots, teacher slots and sessions, residents' slots, placed orders."""

    def __init__(self, instance: Instance, solution: Solution) -> None:
        orders = instance.order_by_id
        self.placed: set[int] = set()
        self.venue: set[tuple[int, str]] = set()
        self.teacher: set[tuple[int, str]] = set()
        self.sessions: Counter[int] = Counter()
        self.resident: set[tuple[tuple[str, int], str]] = set()
        for k in solution.classes:
            self.venue.add((k.venue, k.slot))
            self.teacher.add((k.teacher, k.slot))
            self.sessions[k.teacher] += 1
            for oid in k.orders:
                self.placed.add(oid)
                if oid in orders:
                    self.resident.add((orders[oid].resident_key, k.slot))
        self.reasons = {u.order: u.reason for u in solution.unassigned}

    def eligible(self, oid: int, reasons: frozenset[str] = ELIGIBLE) -> bool:
        """Left out for want of neighbours or of a common time (or, with ``ELIGIBLE_FAR``, of a venue)."""
        return oid not in self.placed and self.reasons.get(oid) in reasons

    def resident_free(self, order: Order, slot: str) -> bool:
        return (order.resident_key, slot) not in self.resident

    def teacher_free(self, instance: Instance, tid: int, slot: str) -> bool:
        t = instance.teacher_by_id[tid]
        return slot in t.slots and (tid, slot) not in self.teacher and self.sessions[tid] < t.max_sessions


def gathering_counts(instance: Instance, solution: Solution) -> dict[int, int]:
    """For every unassigned order, how many other residents wait for the same interest within the walking
    circle of its home (the instance's ``max_walk_km``): the "已有 3 位邻居想学书法" of the order's page."""
    orders = instance.order_by_id
    waiting = sorted(u.order for u in solution.unassigned if u.order in orders)
    by_category: defaultdict[int, list[Order]] = defaultdict(list)
    for oid in waiting:
        by_category[orders[oid].category].append(orders[oid])
    out: dict[int, int] = {}
    for group in by_category.values():
        points = [(o.lat, o.lon) for o in group]
        near = _near_pairs(points, points, instance.max_walk_km)
        for i, o in enumerate(group):
            residents = {group[j].resident_key for j, _d in near[i]} - {o.resident_key}
            out[o.id] = len(residents)
    return out


def find_near_misses(
    instance: Instance, solution: Solution, *, deadline: float | None = None
) -> NearMissReport:
    """The near misses of a solution (see the module docstring), at most one per order, venue slot and
    teacher slot within each relaxation. Stops early, with ``complete`` False, at ``deadline``
    (a ``time.perf_counter()`` value)."""
    started = time.perf_counter()
    used = Occupancy(instance, solution)
    finder = _Finder(instance, used)
    complete = True
    for c in sorted(finder.class_categories()):
        if deadline is not None and time.perf_counter() >= deadline:
            complete = False
            break
        finder.positions_for(c)
    if complete:
        finder.groups()
    found = finder.select()
    return NearMissReport(tuple(found), complete, time.perf_counter() - started)


# --- the search ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    near_miss: NearMiss
    key: tuple[Any, ...]


class _Finder:
    def __init__(self, instance: Instance, used: Occupancy) -> None:
        self.inst = instance
        self.used = used
        self.cats = instance.category_by_id
        self.slot_rank = {s.id: i for i, s in enumerate(instance.slots)}
        self.children: defaultdict[int, list[int]] = defaultdict(list)
        for c in instance.categories:
            if c.parent is not None:
                self.children[c.parent].append(c.id)
        self.pool = [o for o in instance.orders if used.eligible(o.id, ELIGIBLE_FAR | ELIGIBLE_BROADER)]
        # Orders that may only join as a radius extra (``far_only``) or a parent extra (``broader_only``).
        self.far_only = {o.id for o in self.pool if not used.eligible(o.id, ELIGIBLE_BROADER)}
        self.broader_only = {o.id for o in self.pool if not used.eligible(o.id, ELIGIBLE_FAR)}
        self.near_only = self.far_only | self.broader_only
        # Venues within the radius limit of each eligible order, nearest first.
        near = _near_pairs(
            [(o.lat, o.lon) for o in self.pool],
            [(v.lat, v.lon) for v in instance.venues],
            RADIUS_LIMIT_KM,
        )
        self.cv_orders: defaultdict[tuple[int, int], list[tuple[Order, float]]] = defaultdict(list)
        self.c_venues: defaultdict[int, set[int]] = defaultdict(set)
        for o, row in zip(self.pool, near, strict=True):
            for j, d in row:
                self.cv_orders[(o.category, j)].append((o, d))
                self.c_venues[o.category].add(j)
        self.skilled: defaultdict[int, list[int]] = defaultdict(list)
        for t in instance.teachers:
            for c in t.skills:
                self.skilled[c].append(t.id)
        self.candidates: list[_Candidate] = []

    def class_categories(self) -> set[int]:
        """Categories a class could be opened in: those of waiting orders and their parents."""
        out = {o.category for o in self.pool}
        out |= {self.cats[c].parent for c in out if self.cats[c].parent is not None}
        return out

    def _teachers(self, c: int, venue_index: int) -> list[int]:
        venue = self.inst.venues[venue_index]
        teachers = self.inst.teacher_by_id
        return [
            tid
            for tid in self.skilled.get(c, ())
            if self.used.sessions[tid] < teachers[tid].max_sessions
            and within(
                haversine_km(teachers[tid].lat, teachers[tid].lon, venue.lat, venue.lon), teachers[tid].max_km
            )
        ]

    def positions_for(self, c: int) -> None:
        inst, used = self.inst, self.used
        cat = self.cats[c]
        kids = self.children.get(c, [])
        venues = sorted(
            set().union(self.c_venues.get(c, set()), *(self.c_venues.get(k, set()) for k in kids))
        )
        for j in venues:
            venue = inst.venues[j]
            if not set(cat.facilities) <= set(venue.facilities):
                continue
            cap = min(cat.max_size, venue.capacity)
            if cap < 1:
                continue
            teachers = self._teachers(c, j)
            if not teachers:
                continue
            own = self.cv_orders.get((c, j), [])
            narrower = [pair for k in kids for pair in self.cv_orders.get((k, j), [])]
            for s in venue.slots:
                if (venue.id, s) in used.venue:
                    continue
                free = [t for t in teachers if used.teacher_free(inst, t, s)]
                if free:
                    self._position(c, venue.id, cap, s, free, own, narrower)

    def _position(
        self,
        c: int,
        vid: int,
        cap: int,
        s: str,
        teachers: list[int],
        own: list[tuple[Order, float]],
        narrower: list[tuple[Order, float]],
    ) -> None:
        inst, used = self.inst, self.used
        walk = inst.max_walk_km
        base: list[tuple[Order, float]] = []
        far: list[tuple[Order, float]] = []
        other_time: list[tuple[Order, float]] = []
        seen: set[tuple[str, int]] = set()
        for o, d in sorted(own, key=lambda p: (p[1], p[0].id)):
            if not used.resident_free(o, s) or o.resident_key in seen or o.id in self.near_only:
                continue
            if within(d, walk) and o.accepts_slot(s):
                base.append((o, d))
                seen.add(o.resident_key)
        base = base[:cap]
        need = self.cats[c].min_size
        if len(base) >= need:
            return  # the rules alone allow this class; not a near miss
        for o, d in sorted(own, key=lambda p: (p[1], p[0].id)):
            if o.resident_key in seen or not used.resident_free(o, s):
                continue
            if not within(d, walk) and o.accepts_slot(s) and o.id not in self.broader_only:
                far.append((o, d))
            elif o.id in self.near_only:
                continue
            elif within(d, walk) and not o.accepts_slot(s) and s in o.free_slots:
                other_time.append((o, d))
        kids = [
            (o, d)
            for o, d in sorted(narrower, key=lambda p: (p[1], p[0].id))
            if within(d, walk)
            and o.accepts_slot(s)
            and used.resident_free(o, s)
            and o.resident_key not in seen
            and o.id not in self.far_only
        ]
        short = need - len(base)
        rank = self.slot_rank[s]
        base_ids = tuple(sorted(o.id for o, _ in base))
        teacher = teachers[0]

        def add(
            relaxation: Relaxation, extra: list[tuple[Order, float]], radius: float | None = None
        ) -> None:
            chosen: list[tuple[Order, float]] = []
            residents: set[tuple[str, int]] = set()
            for o, d in extra:
                if o.resident_key not in residents:
                    chosen.append((o, d))
                    residents.add(o.resident_key)
                if len(chosen) == short:
                    break
            if len(chosen) < short or len(base) + len(chosen) > cap:
                return
            near_miss = NearMiss(
                relaxation=relaxation.value,
                category=c,
                orders=base_ids,
                extra=tuple(sorted(o.id for o, _ in chosen)),
                needed=need,
                min_size=need,
                venue=vid,
                slot=s,
                teacher=teacher,
                radius_km=round(max(d for _, d in chosen), 3) if radius is not None else None,
            )
            key = (short, -len(base), round(sum(d for _, d in chosen), 3), c, vid, rank)
            self.candidates.append(_Candidate(near_miss, key))

        if base:
            add(Relaxation.RADIUS, far, radius=0.0)
            add(Relaxation.SLOT, other_time)
        if base or kids:
            add(Relaxation.PARENT, kids)
        if base:
            for t in teachers:
                smallest = self.inst.teacher_by_id[t].min_class
                if smallest is not None and smallest <= len(base):
                    near_miss = NearMiss(
                        relaxation=Relaxation.SMALLER.value,
                        category=c,
                        orders=base_ids,
                        extra=(),
                        needed=need,
                        min_size=smallest,
                        venue=vid,
                        slot=s,
                        teacher=t,
                    )
                    self.candidates.append(_Candidate(near_miss, (0, -len(base), 0.0, c, vid, rank, t)))
                    break

    def groups(self) -> None:
        """Waiting orders near an existing group of their interest with room."""
        inst, used = self.inst, self.used
        if not inst.groups:
            return
        by_category: defaultdict[int, list[Order]] = defaultdict(list)
        for o in self.pool:
            by_category[o.category].append(o)
        for g in inst.groups:
            if g.room < 1:
                continue
            rows = []
            for o in by_category.get(g.category, ()):
                if o.id in self.near_only:
                    continue
                d = haversine_km(o.lat, o.lon, g.lat, g.lon)
                if not within(d, RADIUS_LIMIT_KM):
                    continue
                if g.slot is not None and (not o.accepts_slot(g.slot) or not used.resident_free(o, g.slot)):
                    continue
                rows.append((d, o.id, o))
            rows.sort(key=lambda r: (r[0], r[1]))
            chosen: list[tuple[float, int, Order]] = []
            residents: set[tuple[str, int]] = set()
            for row in rows:
                if row[2].resident_key not in residents:
                    chosen.append(row)
                    residents.add(row[2].resident_key)
                if len(chosen) == g.room:
                    break
            if not chosen:
                continue
            near_miss = NearMiss(
                relaxation=Relaxation.GROUP.value,
                category=g.category,
                orders=(),
                extra=tuple(sorted(r[1] for r in chosen)),
                needed=1,
                min_size=1,
                group=g.id,
                slot=g.slot,
                radius_km=round(max(r[0] for r in chosen), 3),
            )
            self.candidates.append(_Candidate(near_miss, (0, -len(chosen), 0.0, g.category, g.id, 0)))

    def select(self) -> list[NearMiss]:
        """Per relaxation, the best candidates that share no order, venue slot or teacher slot."""
        out: list[NearMiss] = []
        by_relaxation: defaultdict[str, list[_Candidate]] = defaultdict(list)
        for cand in self.candidates:
            by_relaxation[cand.near_miss.relaxation].append(cand)
        for relaxation in Relaxation:
            orders: set[int] = set()
            places: set[tuple[str, Any, Any]] = set()
            sessions: Counter[int] = Counter()
            for cand in sorted(by_relaxation.get(relaxation.value, ()), key=lambda c: c.key):
                n = cand.near_miss
                members = set(n.orders) | set(n.extra)
                if members & orders:
                    continue
                keys = {("venue", n.venue, n.slot), ("teacher", n.teacher, n.slot)} if n.venue else set()
                if keys & places:
                    continue
                if n.teacher is not None:
                    left = self.inst.teacher_by_id[n.teacher].max_sessions - self.used.sessions[n.teacher]
                    if sessions[n.teacher] >= left:
                        continue
                    sessions[n.teacher] += 1
                orders |= members
                places |= keys
                out.append(n)
        return out


def near_misses_json(near_misses: Iterable[NearMiss]) -> list[dict[str, Any]]:
    """The optional ``near_misses`` list of a solution document."""
    return [n.to_dict() for n in near_misses]
