"""Check a solution against every rule of the spec and compute its objective.

The checker is the referee for any solver, ours or another: it trusts nothing in the solution and
reports each broken rule with a message staff can read. Rule numbers follow ``docs/matching.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .near_miss import (
    ELIGIBLE,
    ELIGIBLE_BROADER,
    ELIGIBLE_FAR,
    RADIUS_LIMIT_KM,
    NearMiss,
    Occupancy,
    Relaxation,
)
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


def check_near_misses(
    instance: Instance, solution: Solution, near_misses: tuple[NearMiss, ...] | list[NearMiss]
) -> list[Violation]:
    """Verify that each near miss would really open its class (or fill its group) under its one relaxation,
    with what the solution leaves free, and that the rules alone would not: the listed ``orders`` keep
    every rule, each ``extra`` order breaks exactly the rule named, and nothing else is bent (a slot outside a
    resident's free times, a busy teacher or venue, a walk beyond 2 km are never near misses)."""
    found: list[Violation] = []
    used = Occupancy(instance, solution)
    orders = instance.order_by_id
    categories = instance.category_by_id
    relaxations = {r.value for r in Relaxation}

    for n, nm in enumerate(near_misses):
        label = f"near miss #{n} ({nm.relaxation}, category {nm.category})"

        def bad(message: str, label: str = label) -> None:
            found.append(Violation("near_miss", f"{label}: {message}"))

        if nm.relaxation not in relaxations:
            bad(f"unknown relaxation {nm.relaxation!r}")
            continue
        category = categories.get(nm.category)
        if category is None:
            bad("unknown category")
            continue
        members = [*nm.orders, *nm.extra]
        if len(set(members)) != len(members):
            bad("an order is listed twice")
        unknown = [o for o in members if o not in orders]
        if unknown:
            bad(f"unknown orders {unknown}")
            continue
        wider = {Relaxation.RADIUS: ELIGIBLE_FAR, Relaxation.PARENT: ELIGIBLE_BROADER}.get(nm.relaxation)
        for oid in members:
            if not used.eligible(oid, wider if wider and oid in nm.extra else ELIGIBLE):
                bad(f"order {oid} is placed or not left for want of neighbours or of a common time")
        residents = [orders[o].resident_key for o in members]
        if len(set(residents)) != len(residents):
            bad("a resident is counted twice")
        if nm.needed != (1 if nm.relaxation == Relaxation.GROUP else category.min_size):
            bad(f"needed {nm.needed} is not the minimum class size {category.min_size}")
        if not nm.extra and nm.relaxation != Relaxation.SMALLER:
            bad("nobody joins under the relaxation")

        if nm.relaxation == Relaxation.GROUP:
            groups = {g.id: g for g in instance.groups}
            group = groups.get(nm.group) if nm.group is not None else None
            if group is None:
                bad(f"unknown group {nm.group}")
                continue
            if nm.orders:
                bad("a group near miss lists only the orders that would join it")
            if group.category != nm.category:
                bad(f"group {group.id} is of category {group.category}")
            if len(nm.extra) > group.room:
                bad(f"{len(nm.extra)} orders for {group.room} places in group {group.id}")
            for oid in nm.extra:
                o = orders[oid]
                d = haversine_km(o.lat, o.lon, group.lat, group.lon)
                if o.category != group.category:
                    bad(f"order {oid} is for category {o.category}")
                if not within(d, RADIUS_LIMIT_KM):
                    bad(f"order {oid} lives {d:.3f} km from group {group.id}, beyond {RADIUS_LIMIT_KM} km")
                if group.slot is not None and (
                    not o.accepts_slot(group.slot) or not used.resident_free(o, group.slot)
                ):
                    bad(f"order {oid} cannot attend group {group.id} in slot {group.slot}")
            continue

        teacher = instance.teacher_by_id.get(nm.teacher) if nm.teacher is not None else None
        venue = instance.venue_by_id.get(nm.venue) if nm.venue is not None else None
        slot = nm.slot
        if teacher is None or venue is None or slot not in instance.slot_by_id:
            bad("a class needs a known teacher, venue and slot")
            continue
        if nm.category not in teacher.skills:
            bad(f"teacher {teacher.id} does not teach category {nm.category}")
        if not used.teacher_free(instance, teacher.id, slot):
            bad(f"teacher {teacher.id} is not free in slot {slot} or has no session left")
        if not within(haversine_km(teacher.lat, teacher.lon, venue.lat, venue.lon), teacher.max_km):
            bad(f"venue {venue.id} is beyond teacher {teacher.id}'s reach")
        if slot not in venue.slots or (venue.id, slot) in used.venue:
            bad(f"venue {venue.id} is not free in slot {slot}")
        if not set(category.facilities) <= set(venue.facilities):
            bad(f"venue {venue.id} lacks the category's facilities")
        cap = min(category.max_size, venue.capacity)
        if nm.size > cap:
            bad(f"{nm.size} orders, above the limit {cap}")
        if nm.relaxation == Relaxation.SMALLER:
            if teacher.min_class is None or teacher.min_class >= category.min_size:
                bad(f"teacher {teacher.id} accepts no class smaller than {category.min_size}")
            elif nm.min_size != teacher.min_class:
                bad(f"min_size {nm.min_size} is not the size teacher {teacher.id} accepts")
            if nm.extra:
                bad("a smaller class takes no extra orders")
        elif nm.min_size != category.min_size:
            bad(f"min_size {nm.min_size} is not the category's {category.min_size}")
        if nm.size < nm.min_size:
            bad(f"{nm.size} orders do not open a class of at least {nm.min_size}")
        if len(nm.orders) >= category.min_size:
            bad("the rules alone open this class: it is no near miss")

        def walk(o, venue=venue) -> float:
            return haversine_km(o.lat, o.lon, venue.lat, venue.lon)

        for oid in members:
            if not used.resident_free(orders[oid], slot):
                bad(f"the resident of order {oid} already has a class in slot {slot}")
        for oid in nm.orders:
            o = orders[oid]
            if o.category != nm.category:
                bad(f"order {oid} is for category {o.category}")
            if not o.accepts_slot(slot):
                bad(f"order {oid} does not list slot {slot}")
            if not within(walk(o), instance.max_walk_km):
                bad(f"order {oid} lives beyond the walking limit")
        for oid in nm.extra:
            o = orders[oid]
            d = walk(o)
            near = within(d, instance.max_walk_km)
            same = o.category == nm.category
            if nm.relaxation == Relaxation.RADIUS:
                ok = same and o.accepts_slot(slot) and not near and within(d, RADIUS_LIMIT_KM)
                if nm.radius_km is None or not within(d, nm.radius_km + 1e-3):
                    bad(f"order {oid} walks {d:.3f} km, beyond the reported radius")
            elif nm.relaxation == Relaxation.SLOT:
                ok = same and near and not o.accepts_slot(slot) and slot in o.free_slots
            else:  # parent
                ok = categories[o.category].parent == nm.category and near and o.accepts_slot(slot)
            if not ok:
                bad(f"order {oid} does not join by relaxing {nm.relaxation} alone")
    return found
