"""Why an order stayed unassigned: one truthful reason code per order.

Aggregated, the reasons tell the district where to recruit teachers or open venues, so each code is
chosen only when its statement is true of the instance and of the final solution.

Order of the checks, for an unassigned order of category c:

Static (the instance alone makes a class impossible, whatever any solver does):

1. ``no_venue``: no venue within ``max_walk_km`` has the category's facilities and room for at least
   ``min_size`` (a venue too small for the smallest class is no venue for it).
2. ``no_teacher``: no teacher with the skill and a session to give is within ``max_km`` of any venue from 1.
3. ``no_common_slot``: venues and teachers exist, but no slot is listed by the order, open at such a
   venue and free for a teacher who reaches it.
4. ``below_min_size``: at every such (venue, slot, teacher) combination fewer than ``min_size`` orders
   of distinct residents are compatible, counting this one.

Dynamic (a class was possible, but the solution used the resources elsewhere):

5. ``no_common_slot``: the resident already attends another class in each of the common slots.
6. ``capacity``: a compatible class (same category, a venue in walking distance, a slot the resident
   can take) exists and it is full.
7. ``no_teacher``: no compatible class exists and every teacher who could open one is busy in that slot
   or has no session left.
8. ``capacity``: teachers are free, but every venue slot where they could teach is taken.
9. ``below_min_size``: a venue and a teacher are free, but fewer than ``min_size`` compatible orders are
   still unplaced.

Steps 6 and 9 are truthful only for a maximal solution, in which no leftover order fits an open class
and no further class can open; ``greedy.complete`` makes a state maximal, and both solvers call it
before explaining.
"""

from __future__ import annotations

from .index import Index
from .problem import Reason
from .state import State


def _pairs(ix: Index, o: int) -> list[tuple[int, int]]:
    """(venue, slot) pairs that could host the order: a walkable venue open in a slot the order lists,
    with some teacher who reaches the venue and is available then (ignoring the solution)."""
    c = ix.o_cat[o]
    out = []
    for v, _ in ix.o_venues[o]:
        for s in sorted(ix.o_slots[o] & ix.teacher_slots_at(c, v)):
            out.append((v, s))
    return out


def static_reason(
    ix: Index, o: int, companions: dict[tuple[int, int, int], int] | None = None
) -> Reason | None:
    """The reason the instance alone gives (checks 1-4), or None when a class for the order is possible.

    ``companions`` caches, per (category, venue, slot), how many distinct residents could meet there.
    """
    c = ix.o_cat[o]
    if not ix.o_venues[o]:
        return Reason.NO_VENUE
    if not any(ix.cv_teachers.get((c, v)) for v, _ in ix.o_venues[o]):
        return Reason.NO_TEACHER
    pairs = _pairs(ix, o)
    if not pairs:
        return Reason.NO_COMMON_SLOT
    cache = companions if companions is not None else {}
    for v, s in pairs:
        key = (c, v, s)
        if key not in cache:
            cache[key] = len({ix.o_res[p] for p in ix.cv_orders[(c, v)] if s in ix.o_slots[p]})
        if cache[key] >= ix.c_min[c]:
            return None
    return Reason.BELOW_MIN_SIZE


def dynamic_reason(state: State, o: int) -> Reason:
    """The reason for an order that could have had a class (checks 5-9)."""
    ix = state.ix
    c = ix.o_cat[o]
    r = ix.o_res[o]
    pairs = [(v, s) for v, s in _pairs(ix, o) if (r, s) not in state.resident_busy]
    if not pairs:
        return Reason.NO_COMMON_SLOT
    for v, s in pairs:
        cid = state.venue_busy.get((v, s))
        if cid is not None and state.classes[cid].c == c:
            return Reason.CAPACITY
    with_teacher = [(v, s) for v, s in pairs if state.free_teachers(c, v, s)]
    if not with_teacher:
        return Reason.NO_TEACHER
    if all(pair in state.venue_busy for pair in with_teacher):
        return Reason.CAPACITY
    return Reason.BELOW_MIN_SIZE


def explain(state: State) -> dict[int, str]:
    """Reason codes for every unassigned order (by order index) of a maximal state."""
    ix = state.ix
    out: dict[int, str] = {}
    companions: dict[tuple[int, int, int], int] = {}
    for o in range(ix.n_orders):
        if state.order_class[o] >= 0:
            continue
        reason = static_reason(ix, o, companions) or dynamic_reason(state, o)
        out[o] = reason.value
    return out
