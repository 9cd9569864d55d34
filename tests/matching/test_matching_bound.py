"""The upper bounds are valid: never below the optimum (found by an exact CP-SAT model of the whole
instance) nor below any solution the solvers return, on hand-built and random small instances."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from ortools.sat.python import cp_model

from activities.matching.bound import Lagrangian, lagrangian_bound, upper_bound
from activities.matching.checker import objective
from activities.matching.generate import generate
from activities.matching.greedy import greedy
from activities.matching.index import Index
from activities.matching.solver import solve

from .builders import A, B, category, make_instance, order, teacher, venue
from .test_matching_property import random_instance
from .test_matching_solvers import blocking_instance


def exact_optimum(inst) -> float:
    """The largest assigned weight of any feasible solution: one CP-SAT model of the whole instance
    with every rule of the spec, written independently of the solver's region models."""
    ix = Index(inst)
    m = cp_model.CpModel()
    by_order = defaultdict(list)
    by_venue_slot = defaultdict(list)
    by_teacher_slot = defaultdict(list)
    by_teacher = defaultdict(list)
    by_resident_slot = defaultdict(list)
    terms = []
    for c in range(len(inst.categories)):
        for v in range(ix.n_venues):
            if not ix.cv_facilities[c][v]:
                continue
            for s in sorted(ix.v_slots[v]):
                orders = [o for o in ix.cv_orders.get((c, v), ()) if s in ix.o_slots[o]]
                teachers = [t for t in ix.cv_teachers.get((c, v), ()) if s in ix.t_slots[t]]
                if not orders or not teachers:
                    continue
                y = m.new_bool_var("")
                by_venue_slot[(v, s)].append(y)
                xs = []
                for o in orders:
                    x = m.new_bool_var("")
                    m.add_implication(x, y)
                    xs.append(x)
                    by_order[o].append(x)
                    by_resident_slot[(ix.o_res[o], s)].append(x)
                    terms.append(round(ix.o_w[o] * 1000) * x)
                m.add(sum(xs) >= ix.c_min[c] * y)
                m.add(sum(xs) <= min(ix.c_max[c], ix.v_cap[v]) * y)
                zs = [m.new_bool_var("") for _ in teachers]
                m.add(sum(zs) == y)
                for t, z in zip(teachers, zs, strict=True):
                    by_teacher_slot[(t, s)].append(z)
                    by_teacher[t].append(z)
    for group in (by_order, by_venue_slot, by_teacher_slot, by_resident_slot):
        for lits in group.values():
            m.add_at_most_one(lits)
    for t, lits in by_teacher.items():
        m.add(sum(lits) <= ix.t_max[t])
    if not terms:
        return 0.0
    m.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    assert solver.solve(m) == cp_model.OPTIMAL
    return solver.objective_value / 1000


def test_bounds_on_blocking_instance_are_exact():
    inst = blocking_instance()
    assert exact_optimum(inst) == 6.0
    b = upper_bound(inst, time_limit=5.0)
    assert 6.0 <= b.weight < 6.01
    assert b.lagrangian >= 6.0 and b.by_components >= 6.0


def test_lagrangian_sees_teachers_shared_between_categories():
    # Two categories at two venues far apart, one teacher with one session: only one class can open.
    # Per category each component could open its class; the Lagrangian bound prices the teacher.
    inst = make_instance(
        categories=[category(1, 2, 3), category(2, 2, 3)],
        orders=[
            *(order(i, 1, km=0.0, resident=i) for i in (1, 2, 3)),
            *(order(i, 2, km=5.0, resident=i) for i in (4, 5, 6)),
        ],
        teachers=[teacher(7, (1, 2), (A, B), max_sessions=1, km=2.5)],
        venues=[venue(10, km=0.0), venue(11, km=5.0)],
    )
    assert exact_optimum(inst) == 3.0
    bound, _ = lagrangian_bound(inst, time_limit=5.0, target=3.0)
    assert 3.0 <= bound < 3.5
    assert upper_bound(inst, time_limit=5.0).by_components >= 6.0 - 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_bound_never_below_optimum_or_solutions(seed):
    inst = random_instance(seed)
    best = exact_optimum(inst)
    b = upper_bound(inst, time_limit=2.0)
    assert b.weight >= best - 1e-9
    assert b.lagrangian >= best - 1e-9
    assert b.by_components >= best - 1e-9
    for sol in (greedy(inst), solve(inst, time_limit=1.0, seed=seed)):
        assert objective(inst, sol).weight <= b.weight + 1e-9


@pytest.mark.parametrize("seed", [1, 2])
def test_bound_not_below_solver_on_generated_instance(seed):
    inst = generate(160, 14, 12, seed=seed)
    sol = solve(inst, time_limit=3.0, seed=0)
    b = upper_bound(inst, time_limit=4.0)
    assert objective(inst, sol).weight <= b.weight + 1e-9
    assert b.weight <= sum(o.weight for o in inst.orders)


def test_every_price_vector_gives_a_bound_and_careful_value_agrees():
    # Weak duality holds at any non-negative prices, not only at the ones the subgradient finds.
    inst = generate(160, 14, 12, seed=3)
    sol = solve(inst, time_limit=3.0, seed=0)
    ix = Index(inst)
    lag = Lagrangian(ix, ix.positions())
    rng = np.random.default_rng(0)
    for scale in (0.0, 0.3, 1.0, 3.0):
        prices = (
            rng.random(ix.n_orders) * scale,
            rng.random(len(lag.vs_used)) * scale,
            rng.random(len(lag.ts_used)) * scale,
            rng.random(ix.n_teachers) * scale,
        )
        fast, _ = lag.evaluate(prices)
        careful = lag.careful_value(prices)
        assert careful >= fast - 1e-6 and math.isclose(careful, fast, rel_tol=1e-9, abs_tol=1e-4)
        assert careful >= objective(inst, sol).weight
