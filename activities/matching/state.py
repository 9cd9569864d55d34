"""A mutable working solution with the occupancy tables every rule needs, in index space.

The greedy, the local search and the reason finder all edit or read the same structure, so the rules
(one class per venue and slot, teacher slot and session limits, one class per resident and slot) are
kept in exactly one place: ``open_class``, ``add_order`` and ``close_class``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .index import Index
from .problem import ClassAssignment, Solution, Unassigned


@dataclass(slots=True)
class WorkClass:
    """A class under construction: category, venue, slot, teacher (indices) and its orders."""

    c: int
    v: int
    s: int
    t: int
    orders: set[int] = field(default_factory=set)


class State:
    """Classes and the occupancy they cause; every mutation keeps the tables consistent."""

    def __init__(self, index: Index) -> None:
        self.ix = index
        self.classes: dict[int, WorkClass] = {}
        self._next_id = 0
        self.order_class: list[int] = [-1] * index.n_orders
        self.venue_busy: dict[tuple[int, int], int] = {}
        self.teacher_busy: dict[tuple[int, int], int] = {}
        self.teacher_used: list[int] = [0] * index.n_teachers
        self.resident_busy: dict[tuple[int, int], int] = {}

    # --- queries -------------------------------------------------------------------------------------

    def teacher_free(self, t: int, s: int) -> bool:
        """The teacher is available in slot s, not busy then, and has a session left."""
        ix = self.ix
        return s in ix.t_slots[t] and (t, s) not in self.teacher_busy and self.teacher_used[t] < ix.t_max[t]

    def free_teachers(self, c: int, v: int, s: int) -> list[int]:
        """Teachers who could take a new class of category c at venue v in slot s right now."""
        return [t for t in self.ix.cv_teachers.get((c, v), ()) if self.teacher_free(t, s)]

    def order_fits(self, o: int, s: int) -> bool:
        """The order is unassigned and its resident has no class in slot s."""
        return self.order_class[o] < 0 and (self.ix.o_res[o], s) not in self.resident_busy

    def room(self, cid: int) -> int:
        """Free places in a class."""
        k = self.classes[cid]
        return self.ix.cv_cap[k.c][k.v] - len(k.orders)

    # --- mutations -----------------------------------------------------------------------------------

    def open_class(self, c: int, v: int, s: int, t: int) -> int:
        """Open an empty class; the caller fills it to min_size before the solution is read."""
        assert (v, s) not in self.venue_busy and self.teacher_free(t, s)
        cid = self._next_id
        self._next_id += 1
        self.classes[cid] = WorkClass(c, v, s, t)
        self.venue_busy[(v, s)] = cid
        self.teacher_busy[(t, s)] = cid
        self.teacher_used[t] += 1
        return cid

    def add_order(self, cid: int, o: int) -> None:
        """Place an unassigned order in a class."""
        k = self.classes[cid]
        assert self.order_fits(o, k.s)
        k.orders.add(o)
        self.order_class[o] = cid
        self.resident_busy[(self.ix.o_res[o], k.s)] = cid

    def close_class(self, cid: int) -> WorkClass:
        """Remove a class and free its orders, venue slot and teacher session; returns what was removed."""
        k = self.classes.pop(cid)
        for o in k.orders:
            self.order_class[o] = -1
            del self.resident_busy[(self.ix.o_res[o], k.s)]
        del self.venue_busy[(k.v, k.s)]
        del self.teacher_busy[(k.t, k.s)]
        self.teacher_used[k.t] -= 1
        return k

    def restore(self, k: WorkClass) -> int:
        """Re-open a class removed by ``close_class`` with the same teacher and orders."""
        cid = self.open_class(k.c, k.v, k.s, k.t)
        for o in sorted(k.orders):
            self.add_order(cid, o)
        return cid

    # --- output --------------------------------------------------------------------------------------

    def to_solution(self, reasons: dict[int, str]) -> Solution:
        """Freeze into a ``Solution``; ``reasons`` gives the reason code of every unassigned order index."""
        inst = self.ix.instance
        classes = [
            ClassAssignment(
                category=inst.categories[k.c].id,
                teacher=inst.teachers[k.t].id,
                venue=inst.venues[k.v].id,
                slot=self.ix.slot_ids[k.s],
                orders=tuple(sorted(inst.orders[o].id for o in k.orders)),
            )
            for k in self.classes.values()
        ]
        unassigned = [
            Unassigned(order=inst.orders[o].id, reason=reasons[o])
            for o in range(self.ix.n_orders)
            if self.order_class[o] < 0
        ]
        return Solution(classes=tuple(classes), unassigned=tuple(unassigned)).normalized(self.ix.slot_of)

    def walk_km(self) -> float:
        """Total walking distance of assigned orders."""
        return sum(self.ix.o_vdist[o][k.v] for k in self.classes.values() for o in k.orders)

    def weight(self) -> float:
        """Total weight of assigned orders."""
        return sum(self.ix.o_w[o] for k in self.classes.values() for o in k.orders)
