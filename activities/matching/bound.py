"""A proven upper bound on the assigned weight, to say how far a solution can be from the optimum.

Relaxation: within one category, orders and venues split into connected components of walking reach
(an order can only meet at venues within ``max_walk_km``). Each component is solved on its own with
every teacher session and every venue slot at its disposal, ignoring what other categories and other
components use. Any solution, restricted to one component, is feasible there, so the sum of the
components' optima (or of CP-SAT's proven bounds where the time runs out) bounds the whole.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .index import Index
from .problem import Instance
from .solver import Position, Region, build_model, candidates
from .state import State


@dataclass(frozen=True, slots=True)
class Bound:
    """The bound and how it was reached."""

    weight: float
    components: int
    proved_optimal: int
    seconds: float


def _components(ix: Index, positions: dict[Position, list[int]]) -> list[tuple[int, list[int], list[int]]]:
    """(category, venues, orders) of each component of the order-venue reach graph, per category."""
    parent: dict[tuple[int, str, int], tuple[int, str, int]] = {}

    def find(a: tuple[int, str, int]) -> tuple[int, str, int]:
        root = a
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    for (c, v, _), orders in sorted(positions.items()):
        rv = find((c, "v", v))
        for o in orders:
            ro = find((c, "o", o))
            if ro != rv:
                parent[ro] = rv
                rv = find(rv)
    groups: defaultdict[tuple[int, str, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for node in sorted(parent):
        venues, orders = groups[find(node)]
        (venues if node[1] == "v" else orders).append(node[2])
    return sorted(
        ((root[0], vs, os) for root, (vs, os) in groups.items() if os), key=lambda g: (-len(g[2]), g[0])
    )


def upper_bound(instance: Instance, *, time_limit: float = 60.0, index: Index | None = None) -> Bound:
    """An upper bound on the total weight any feasible solution can assign."""
    started = time.perf_counter()
    ix = index or Index(instance)
    positions = ix.positions()
    cv_positions: defaultdict[tuple[int, int], list[Position]] = defaultdict(list)
    for p in sorted(positions):
        cv_positions[(p[0], p[1])].append(p)
    empty = State(ix)
    comps = _components(ix, positions)
    total_pairs = sum(len(orders) for orders in positions.values()) or 1
    bound = 0.0
    optimal = 0
    for c, venues, orders in comps:
        trivial = sum(ix.o_w[o] for o in orders)
        left = time_limit - (time.perf_counter() - started)
        cand = candidates(empty, positions, cv_positions, Region(c, tuple(venues), None))
        if left <= 0 or not cand:
            bound += trivial if cand else 0.0
            optimal += not cand
            continue
        model = build_model(empty, c, cand)
        model.m.maximize(model.weight_expr)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.linearization_level = 2
        pairs = sum(len(os) for _, os, _ in cand)
        solver.parameters.max_time_in_seconds = max(0.2, left * pairs / total_pairs * 2)
        status = solver.solve(model.m)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Weights were rounded to thousandths in the model; add the largest possible rounding back.
            bound += min(trivial, solver.best_objective_bound / 1000 + 0.0005 * len(orders))
            optimal += status == cp_model.OPTIMAL
        else:
            bound += trivial
    return Bound(
        weight=bound, components=len(comps), proved_optimal=optimal, seconds=time.perf_counter() - started
    )
