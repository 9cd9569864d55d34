"""Check a solution against every rule of the spec and compute its objective.

The checker is the referee for any solver, ours or another: it trusts nothing in the solution and
reports each broken rule with a message staff can read. Rule numbers follow ``docs/matching.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .problem import Instance, Reason, Solution, haversine_km, within

VALID_REASONS = frozenset(r.value for r in Reason)
# Objective sums are compared after rounding so that summation order never decides "better".
_ROUND = 9


@dataclass(frozen=True, slots=True)
class Objective:
    """The spec's lexicographic objective: more weight, then less walking, then fewer classes."""

    weight: float
    walk_km: float
    classes: int
    assigned: int = 0
    total_weight: float = 0.0

    def key(self) -> tuple[float, float, int]:
        """A tuple whose natural order is the spec's "better" order (larger is better)."""
        return (round(self.weight, _ROUND), -round(self.walk_km, _ROUND), -self.classes)

    def better_than(self, other: Objective) -> bool:
        """Strictly better by the spec's order."""
        return self.key() > other.key()

    @property
    def weight_share(self) -> float:
        """Assigned weight as a share of the instance's total weight (1.0 when there are no orders)."""
        return self.weight / self.total_weight if self.total_weight else 1.0

    def summary(self) -> str:
        """One line for people: weight, walking, classes."""
        avg = self.walk_km / self.assigned if self.assigned else 0.0
        return (
            f"assigned weight {self.weight:.2f}/{self.total_weight:.2f} ({100 * self.weight_share:.1f}%), "
            f"{self.assigned} orders, walking {self.walk_km:.2f} km (avg {avg:.3f} km), "
            f"{self.classes} classes"
        )


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``rule`` is the spec's rule number (1-8) or ``"reason"`` for a bad reason code."""

    rule: int | str
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """Every violation found and the objective of the solution."""

    violations: tuple[Violation, ...]
    objective: Objective
    rules_broken: frozenset[int | str] = field(default_factory=frozenset)

    @property
    def feasible(self) -> bool:
        """True when the solution keeps every rule and every reason code is valid."""
        return not self.violations


def objective(instance: Instance, solution: Solution) -> Objective:
    """The objective of a solution, counting only orders and venues the instance knows."""
    orders = instance.order_by_id
    venues = instance.venue_by_id
    weight = 0.0
    walk = 0.0
    assigned = 0
    for c in solution.classes:
        venue = venues.get(c.venue)
        for oid in c.orders:
            order = orders.get(oid)
            if order is None:
                continue
            assigned += 1
            weight += order.weight
            if venue is not None:
                walk += haversine_km(order.lat, order.lon, venue.lat, venue.lon)
    return Objective(
        weight=weight,
        walk_km=walk,
        classes=len(solution.classes),
        assigned=assigned,
        total_weight=sum(o.weight for o in instance.orders),
    )


def check(instance: Instance, solution: Solution) -> CheckReport:
    """Verify rules 1-8 of the spec and the reason codes; return the violations and the objective."""
    found: list[Violation] = []

    def bad(rule: int | str, message: str) -> None:
        found.append(Violation(rule, message))

    orders = instance.order_by_id
    teachers = instance.teacher_by_id
    venues = instance.venue_by_id
    categories = instance.category_by_id
    slots = instance.slot_by_id

    # Rule 1: every order exactly once, in a class or unassigned.
    seen: Counter[int] = Counter()
    for c in solution.classes:
        seen.update(c.orders)
    seen.update(u.order for u in solution.unassigned)
    for oid, n in sorted(seen.items()):
        if oid not in orders:
            bad(1, f"order {oid} is not in the instance")
        elif n > 1:
            bad(1, f"order {oid} appears {n} times (classes and unassigned together)")
    for oid in sorted(set(orders) - set(seen)):
        bad(1, f"order {oid} is neither in a class nor unassigned")

    for u in solution.unassigned:
        if u.reason not in VALID_REASONS:
            bad(
                "reason",
                f"order {u.order} has unknown reason {u.reason!r}; valid: {', '.join(sorted(VALID_REASONS))}",
            )

    teacher_slots: defaultdict[tuple[int, str], int] = defaultdict(int)
    teacher_sessions: Counter[int] = Counter()
    venue_slots: defaultdict[tuple[int, str], int] = defaultdict(int)
    resident_slots: defaultdict[tuple[tuple[str, int], str], list[int]] = defaultdict(list)

    for n, c in enumerate(solution.classes):
        label = f"class #{n} (category {c.category}, teacher {c.teacher}, venue {c.venue}, slot {c.slot})"
        category = categories.get(c.category)
        teacher = teachers.get(c.teacher)
        venue = venues.get(c.venue)
        if category is None:
            bad(2, f"{label}: unknown category {c.category}")
        if teacher is None:
            bad(2, f"{label}: unknown teacher {c.teacher}")
        if venue is None:
            bad(2, f"{label}: unknown venue {c.venue}")
        if c.slot not in slots:
            bad(3, f"{label}: unknown slot {c.slot!r}")

        # Rule 2: the teacher can teach it, the venue has the facilities.
        if category is not None and teacher is not None and c.category not in teacher.skills:
            bad(2, f"{label}: teacher {teacher.id} does not teach category {c.category}")
        if category is not None and venue is not None:
            missing = sorted(set(category.facilities) - set(venue.facilities))
            if missing:
                bad(2, f"{label}: venue {venue.id} lacks facilities {', '.join(missing)}")

        # Rule 3: the slot is open for both teacher and venue.
        if teacher is not None and c.slot not in teacher.slots:
            bad(3, f"{label}: teacher {teacher.id} is not available in slot {c.slot}")
        if venue is not None and c.slot not in venue.slots:
            bad(3, f"{label}: venue {venue.id} is not open in slot {c.slot}")

        # Rule 4 (distance part; the counting part follows the loop).
        if teacher is not None and venue is not None:
            d = haversine_km(teacher.lat, teacher.lon, venue.lat, venue.lon)
            if not within(d, teacher.max_km):
                bad(
                    4,
                    f"{label}: venue is {d:.3f} km from teacher {teacher.id}, beyond max_km {teacher.max_km}",
                )
        teacher_slots[(c.teacher, c.slot)] += 1
        teacher_sessions[c.teacher] += 1
        venue_slots[(c.venue, c.slot)] += 1

        # Rule 6: class size.
        size = len(c.orders)
        if category is not None:
            cap = category.max_size if venue is None else min(category.max_size, venue.capacity)
            if size < category.min_size:
                bad(6, f"{label}: {size} orders, below min_size {category.min_size}")
            if size > cap:
                bad(6, f"{label}: {size} orders, above the limit {cap} (max_size and venue capacity)")

        # Rule 7: each order fits the class.
        for oid in c.orders:
            order = orders.get(oid)
            if order is None:
                continue
            if order.category != c.category:
                bad(7, f"{label}: order {oid} is for category {order.category}")
            if not order.accepts_slot(c.slot):
                bad(7, f"{label}: order {oid} does not list slot {c.slot}")
            if venue is not None:
                d = haversine_km(order.lat, order.lon, venue.lat, venue.lon)
                if not within(d, instance.max_walk_km):
                    bad(
                        7,
                        f"{label}: order {oid} lives {d:.3f} km from the venue, beyond {instance.max_walk_km} km",
                    )
            resident_slots[(order.resident_key, c.slot)].append(oid)

    # Rule 4 (counting part).
    for (tid, slot), n in sorted(teacher_slots.items()):
        if n > 1:
            bad(4, f"teacher {tid} holds {n} classes in slot {slot}")
    for tid, n in sorted(teacher_sessions.items()):
        teacher = teachers.get(tid)
        if teacher is not None and n > teacher.max_sessions:
            bad(4, f"teacher {tid} holds {n} classes, above max_sessions {teacher.max_sessions}")

    # Rule 5: one class per venue and slot.
    for (vid, slot), n in sorted(venue_slots.items()):
        if n > 1:
            bad(5, f"venue {vid} holds {n} classes in slot {slot}")

    # Rule 8: a resident cannot be in two places at once (nor twice in one class).
    for ((kind, rid), slot), oids in sorted(resident_slots.items()):
        if len(oids) > 1:
            who = f"resident {rid}" if kind == "resident" else f"order {rid}"
            bad(8, f"{who} has orders {sorted(oids)} placed in slot {slot} at the same time")

    return CheckReport(
        violations=tuple(found),
        objective=objective(instance, solution),
        rules_broken=frozenset(v.rule for v in found),
    )
