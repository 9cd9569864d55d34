"""Independent parts of an instance, for solving them apart (issue 18: the matching fans out over workers).

Two orders, teachers or venues are *linked* when a class of some feasible solution could make them use one
another or share something: an order and a venue within walking reach (``max_walk_km``); a teacher and a
venue within the teacher's ``max_km`` when some order linked to that venue is of one of the teacher's
skills; two orders of one resident (a resident's orders meet in distinct slots). A part is a connected
component of these links; nothing of one part can appear in a class of another, and no rule (a venue's
slot, a teacher's sessions, a resident's slots) couples two parts, so the feasible solutions of the whole
are exactly the unions of feasible solutions of the parts and the objective adds up over the parts.

The links are a superset of what the checker allows (walking reach is taken without facilities or
capacity), so a part is never cut where the rules would join it. Venues and teachers linked to no order
cannot hold a class and are left out of every part. Groups (for near misses only) stay with the whole.

``split(instance)`` returns the parts, largest first; ``merge(parts)`` joins their solutions. What is
exact: the union of per-part solutions is feasible for the whole; solved apart, each part gets its own
search budget, so a part's classes equal the whole-instance solver's when both reach the part's optimum
(small instances), and may differ otherwise (a part no longer shares the whole's time budget).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from .problem import Instance, Solution, haversine_km, within

# Degrees of latitude per km (and a margin for the grid's cell size below).
_DEG_PER_KM = 1 / 111.0


def split(instance: Instance) -> list[Instance]:
    """The instance's independent parts (orders, the venues and teachers they could use), largest first."""
    orders, venues, teachers = instance.orders, instance.venues, instance.teachers
    parent: dict[tuple[str, object], tuple[str, object]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=repr)] = min(ra, rb, key=repr)

    # Venues in a grid of cells at least the walking circle wide: an order looks at its cell and the eight
    # around it, not at every venue.
    cell = max(instance.max_walk_km * _DEG_PER_KM * 1.5, 1e-6)
    grid: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for i, v in enumerate(venues):
        grid[(math.floor(v.lat / cell), math.floor(v.lon / cell))].append(i)
    linked_categories: defaultdict[int, set[int]] = defaultdict(set)  # venue index → categories of its orders
    for o in orders:
        find(("o", o.id))
        if o.resident is not None:
            union(("o", o.id), ("r", o.resident_key))
        cy, cx = math.floor(o.lat / cell), math.floor(o.lon / cell)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for i in grid.get((cy + dy, cx + dx), ()):
                    v = venues[i]
                    if within(haversine_km(o.lat, o.lon, v.lat, v.lon), instance.max_walk_km):
                        union(("o", o.id), ("v", v.id))
                        linked_categories[i].add(o.category)
    linked_teachers: set[int] = set()
    for t in teachers:
        skills = set(t.skills)
        for i, cats in linked_categories.items():
            v = venues[i]
            if skills & cats and within(haversine_km(t.lat, t.lon, v.lat, v.lon), t.max_km):
                union(("t", t.id), ("v", v.id))
                linked_teachers.add(t.id)

    members: defaultdict[tuple[str, object], dict[str, list]] = defaultdict(
        lambda: {"orders": [], "venues": [], "teachers": []}
    )
    for o in orders:
        members[find(("o", o.id))]["orders"].append(o)
    for i in linked_categories:
        members[find(("v", venues[i].id))]["venues"].append(venues[i])
    for t in teachers:
        if t.id in linked_teachers:
            members[find(("t", t.id))]["teachers"].append(t)
    parts = [_part(instance, m["orders"], m["venues"], m["teachers"]) for m in members.values()]
    # Largest first (a worker that takes the big one first finishes the run soonest); ties by first order id.
    parts.sort(key=lambda p: (-len(p.orders), p.orders[0].id))
    return parts


def _part(instance: Instance, orders: list, venues: list, teachers: list) -> Instance:
    # Every category stays (a few dozen): teachers' skills and parents must name known ones.
    return Instance(
        max_walk_km=instance.max_walk_km,
        slots=instance.slots,
        categories=instance.categories,
        orders=tuple(sorted(orders, key=lambda o: o.id)),
        teachers=tuple(sorted(teachers, key=lambda t: t.id)),
        venues=tuple(sorted(venues, key=lambda v: v.id)),
        version=instance.version,
    )


def balance(parts: list[Instance], workers: int) -> list[list[int]]:
    """Indexes of the parts per task, at most `workers` tasks, by orders (largest part to the lightest task)."""
    loads: list[tuple[int, int]] = [(0, k) for k in range(max(1, min(workers, len(parts))))]
    tasks: list[list[int]] = [[] for _ in loads]
    for i, part in enumerate(parts):  # parts come largest first
        load, k = min(loads)
        tasks[k].append(i)
        loads[loads.index((load, k))] = (load + len(part.orders), k)
    return [t for t in tasks if t]


def merge(solutions: Iterable[Solution]) -> Solution:
    """One solution of the whole from the solutions of its parts (their stats listed per part)."""
    classes, unassigned, stats = [], [], []
    for s in solutions:
        classes += s.classes
        unassigned += s.unassigned
        stats.append(s.stats)
    return Solution(classes=tuple(classes), unassigned=tuple(unassigned), stats={"parts": stats})
