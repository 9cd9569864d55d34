"""A fast, deterministic greedy baseline.

Repeatedly open the class that would carry the most weight right now (ties: less walking), staff it
with the least flexible free teacher, and fill it with the heaviest compatible orders. Values only fall
as orders, venues and teachers get used, so a lazy priority queue finds the best class without
re-scoring every position each round. Finally every leftover order joins the nearest open class with
room. The solver starts from this solution and uses the same two steps to tidy up after itself.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .index import Index
from .problem import Instance, Solution
from .reasons import explain
from .state import State

Position = tuple[int, int, int]


def _teacher_flexibility(ix: Index) -> list[int]:
    """How many (category, venue) pairs each teacher could serve; scarce teachers are kept for later."""
    flex = [0] * ix.n_teachers
    for teachers in ix.cv_teachers.values():
        for t in teachers:
            flex[t] += 1
    return flex


def _pick(state: State, p: Position, orders: list[int]) -> list[int]:
    """The orders a new class at p would take: heaviest first, one per resident, up to the cap."""
    c, v, s = p
    ix = state.ix
    cap = ix.cv_cap[c][v]
    chosen: list[int] = []
    residents: set[int] = set()
    for o in orders:
        if state.order_fits(o, s) and ix.o_res[o] not in residents:
            chosen.append(o)
            residents.add(ix.o_res[o])
            if len(chosen) == cap:
                break
    return chosen


def _score(state: State, p: Position, orders: list[int]) -> tuple[float, float, list[int]] | None:
    """(weight, walk, orders) of the best class at p now, or None when it cannot open."""
    c, v, s = p
    ix = state.ix
    if (v, s) in state.venue_busy or not state.free_teachers(c, v, s):
        return None
    chosen = _pick(state, p, orders)
    if len(chosen) < ix.c_min[c]:
        return None
    weight = round(sum(ix.o_w[o] for o in chosen), 9)
    walk = round(sum(ix.o_vdist[o][v] for o in chosen), 9)
    return weight, walk, chosen


def open_classes(state: State, positions: dict[Position, list[int]], flex: list[int] | None = None) -> int:
    """Open classes greedily until none can open; returns how many were opened.

    ``positions`` maps each candidate position to its compatible orders (any order; they are re-sorted
    heaviest first here). Only unassigned orders whose residents are free in the slot are used.
    """
    ix = state.ix
    flex = flex if flex is not None else _teacher_flexibility(ix)
    by_weight = {
        p: sorted(orders, key=lambda o, v=p[1]: (-ix.o_w[o], ix.o_vdist[o][v], o))
        for p, orders in positions.items()
    }
    heap: list[tuple[float, float, Position]] = []
    for p in sorted(by_weight):
        scored = _score(state, p, by_weight[p])
        if scored is not None:
            heap.append((-scored[0], scored[1], p))
    heapq.heapify(heap)
    opened = 0
    while heap:
        neg_w, walk, p = heapq.heappop(heap)
        scored = _score(state, p, by_weight[p])
        if scored is None:
            continue
        if (-scored[0], scored[1]) != (neg_w, walk):
            # Stale: this position lost orders, a teacher or its venue since it was scored; requeue.
            heapq.heappush(heap, (-scored[0], scored[1], p))
            continue
        c, v, s = p
        teacher = min(state.free_teachers(c, v, s), key=lambda t: (flex[t], t))
        cid = state.open_class(c, v, s, teacher)
        for o in scored[2]:
            state.add_order(cid, o)
        opened += 1
    return opened


def fill_classes(state: State, orders: Iterable[int] | None = None) -> int:
    """Put leftover orders into the nearest open compatible class with room; returns how many moved.

    Heavier orders choose first, so when places are short the weight objective gains most.
    """
    ix = state.ix
    pool = range(ix.n_orders) if orders is None else orders
    todo = sorted((o for o in pool if state.order_class[o] < 0), key=lambda o: (-ix.o_w[o], o))
    placed = 0
    for o in todo:
        c = ix.o_cat[o]
        best: tuple[float, int] | None = None
        for v, d in ix.o_venues[o]:
            for s in sorted(ix.o_slots[o] & ix.v_slots[v]):
                cid = state.venue_busy.get((v, s))
                if cid is None:
                    continue
                k = state.classes[cid]
                if (
                    k.c == c
                    and state.room(cid) > 0
                    and state.order_fits(o, s)
                    and (best is None or (d, cid) < best)
                ):
                    best = (d, cid)
        if best is not None:
            state.add_order(best[1], o)
            placed += 1
    return placed


def complete(state: State, positions: dict[Position, list[int]], flex: list[int] | None = None) -> None:
    """Make the state maximal: no leftover order fits an open class and no further class can open.

    The reason finder relies on this: after ``complete`` an order marked ``capacity`` or
    ``below_min_size`` really has no class to join and too few companions to open one.
    """
    fill_classes(state)
    open_classes(state, positions, flex)
    fill_classes(state)


def greedy_state(instance: Instance, index: Index | None = None) -> State:
    """The greedy's working state (used by the solver as its starting point)."""
    ix = index or Index(instance)
    state = State(ix)
    positions = ix.positions()
    flex = _teacher_flexibility(ix)
    open_classes(state, positions, flex)
    fill_classes(state)
    return state


def greedy(instance: Instance, index: Index | None = None) -> Solution:
    """Solve with the greedy baseline; every unassigned order carries its reason."""
    ix = index or Index(instance)
    state = greedy_state(instance, ix)
    return state.to_solution(explain(state))
