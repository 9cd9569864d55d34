"""Issue 20 (the district matching gap): the bound stays a valid upper bound on every shape of demand and
from any starting prices, the solver stays deterministic for a seed on every shape, and the numpy teacher
reach says exactly what the spec's haversine says, borderline distances included."""

from __future__ import annotations

import random

import numpy as np
import pytest

from activities.matching.bound import Lagrangian, priced_cluster_bound, upper_bound
from activities.matching.checker import check, objective
from activities.matching.generate import SHAPES, generate, reshape
from activities.matching.index import Index, _teacher_reach
from activities.matching.problem import DISTANCE_TOLERANCE_KM, haversine_km, within
from activities.matching.solver import solve

from .builders import KM_PER_DEGREE, A, category, make_instance, north, order, teacher, venue
from .test_matching_bound import exact_optimum


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [4, 5])
def test_bound_never_below_the_exact_optimum_on_every_shape(shape, seed):
    inst = reshape(generate(200, 16, 14, seed=seed), shape, seed)
    best = exact_optimum(inst)
    assert best > 0  # classes can open, so the bound has something to be wrong about
    b = upper_bound(inst, time_limit=2.0)
    assert b.weight >= best - 1e-9
    assert b.lagrangian >= best - 1e-9
    solution = solve(inst, time_limit=2.0, seed=seed)
    assert objective(inst, solution).weight <= b.weight + 1e-9


@pytest.mark.parametrize("shape", ["spread", "clustered", "scarce_skill"])
def test_lagrangian_from_any_start_stays_above_the_optimum(shape):
    inst = reshape(generate(200, 16, 14, seed=4), shape, 4)
    best = exact_optimum(inst)
    ix = Index(inst)
    lag = Lagrangian(ix, ix.positions())
    assert lag.n_positions > 0 and best > 0
    rng = np.random.default_rng(4)
    start = (
        rng.random(ix.n_orders) * 2,
        rng.random(len(lag.vs_used)),
        rng.random(len(lag.ts_used)),
        rng.random(ix.n_teachers),
    )
    value, iterations = lag.minimise(best, seconds=1.0, start=start)
    assert iterations > 0
    assert best - 1e-9 <= value <= lag.trivial
    # The best prices seen are kept, and the value returned is theirs (recomputed carefully) unless
    # none beat the trivial bound.
    assert value == lag.trivial or value == pytest.approx(lag.careful_value(lag.best_prices))


@pytest.mark.parametrize("shape", SHAPES)
def test_solver_same_seed_same_answer_on_every_shape(shape):
    inst = reshape(generate(160, 14, 12, seed=5), shape, 5)
    first = solve(inst, time_limit=60.0, seed=3)
    second = solve(inst, time_limit=60.0, seed=3)
    # Stopped by its own convergence, not the clock: only then does the seed alone decide the answer.
    assert first.stats["search"].stopped_by == "converged"
    assert first.to_json() == second.to_json()
    assert check(inst, first).violations == ()


def test_teacher_reach_matches_the_spec_on_borderline_distances():
    limit = 3.0
    # Venues due north of the teacher at the limit, a hair inside and outside the tolerance, and far.
    offsets = [
        limit,
        limit + DISTANCE_TOLERANCE_KM * 0.5,
        limit + DISTANCE_TOLERANCE_KM * 2,
        limit - DISTANCE_TOLERANCE_KM,
        limit + 0.5,
        0.0,
    ]
    inst = make_instance(
        categories=[category(1, 1, 5)],
        orders=[order(1, 1, km=0.0)],
        teachers=[{**teacher(1, (1,), (A,), km=0.0), "max_km": limit}],
        venues=[venue(10 + i, km=km) for i, km in enumerate(offsets)],
    )
    expected = [
        v
        for v, venue_ in enumerate(inst.venues)
        if within(haversine_km(inst.teachers[0].lat, inst.teachers[0].lon, venue_.lat, venue_.lon), limit)
    ]
    assert _teacher_reach(inst) == [expected]
    assert 0 in expected and 2 not in expected and 4 not in expected and 5 in expected


def test_teacher_reach_matches_the_spec_on_a_random_city():
    rng = random.Random(7)
    teachers = [
        {
            **teacher(i, (1,), (A,), km=0.0),
            **north(rng.uniform(-10, 10)),
            "lon": 106.5 + rng.uniform(-0.1, 0.1),
            "max_km": rng.choice([2.0, 5.5, 8.0]),
        }
        for i in range(1, 41)
    ]
    venues = [
        {**venue(100 + j, km=rng.uniform(-10, 10)), "lon": 106.5 + rng.uniform(-0.1, 0.1)} for j in range(60)
    ]
    # One venue exactly at a teacher's limit, due north of them: the exact check decides it.
    first = teachers[0]
    venues.append({**venue(999), "lat": first["lat"] + first["max_km"] / KM_PER_DEGREE, "lon": first["lon"]})
    inst = make_instance(
        categories=[category(1, 1, 5)], orders=[order(1, 1, km=0.0)], teachers=teachers, venues=venues
    )
    expected = [
        [
            v
            for v, ven in enumerate(inst.venues)
            if within(haversine_km(t.lat, t.lon, ven.lat, ven.lon), t.max_km)
        ]
        for t in inst.teachers
    ]
    assert _teacher_reach(inst) == expected
    assert any(expected) and not all(len(row) == len(inst.venues) for row in expected)


def priced_instance(shape: str, seed: int) -> tuple[float, Index, Lagrangian]:
    """A small instance's exact optimum, index and Lagrangian with the subgradient's prices."""
    inst = reshape(generate(200, 16, 14, seed=seed), shape, seed)
    best = exact_optimum(inst)
    ix = Index(inst)
    lag = Lagrangian(ix, ix.positions())
    lag.minimise(best, seconds=2.0)
    return best, ix, lag


@pytest.mark.parametrize("shape", SHAPES)
def test_cluster_bound_between_the_optimum_and_the_lagrangian_at_the_same_prices(shape):
    best, ix, lag = priced_instance(shape, 6)
    rng = np.random.default_rng(6)
    random_prices = (
        rng.random(ix.n_orders) * 2,
        rng.random(len(lag.vs_used)),
        rng.random(len(lag.ts_used)),
        rng.random(ix.n_teachers),
    )
    for prices in (lag.best_prices, random_prices):
        # Small clusters cut many orders at their boundary; one cluster per category cuts none.
        for pairs in (20, 10_000):
            value, clusters, proved = priced_cluster_bound(
                lag, ix, prices, time_limit=30.0, cluster_pairs=pairs
            )
            # Where every position costs more than its orders bring there is no cluster, and the bound
            # is the prices alone.
            assert proved <= clusters
            assert best - 1e-9 <= value <= lag.careful_value(prices) + 1e-9


def test_cluster_bound_sees_what_minimum_sizes_cost():
    # On the benchmark's shapes the integer clusters cut below the linear relaxation somewhere.
    below = []
    for seed in (4, 5, 6):
        inst = generate(200, 16, 14, seed=seed)
        ix = Index(inst)
        lag = Lagrangian(ix, ix.positions())
        lag.minimise(0.0, seconds=2.0)
        value, _, _ = priced_cluster_bound(lag, ix, lag.best_prices, time_limit=30.0)
        below.append(value < lag.careful_value(lag.best_prices) - 1e-3)
    assert any(below)


@pytest.mark.parametrize("shape", ["spread", "clustered"])
def test_cluster_bound_without_time_is_the_lagrangian_and_with_time_grows_its_clusters(shape):
    best, ix, lag = priced_instance(shape, 7)
    lagrangian = lag.careful_value(lag.best_prices)
    # No time: the first partition still counts, each cluster at its share of L.
    value, clusters, proved = priced_cluster_bound(lag, ix, lag.best_prices, time_limit=0.0, cluster_pairs=10)
    assert proved == 0 and clusters > 0
    assert best - 1e-9 <= value <= lagrangian + 1e-9
    assert value == pytest.approx(lagrangian, abs=1e-3)
    # With time, tiny clusters all prove and are grown until a category is one cluster; each cluster
    # counts at most its share of L, so the bound stays at or below L.
    grown, clusters, proved = priced_cluster_bound(
        lag, ix, lag.best_prices, time_limit=30.0, cluster_pairs=10
    )
    assert proved <= clusters <= len({c for c, _, _ in lag.kept})
    assert best - 1e-9 <= grown <= value + 1e-9


def test_cluster_bound_same_on_one_thread_or_two():
    # Each cluster's solve is bounded by deterministic work, so with time to spare the threads change
    # nothing but the clock.
    inst = reshape(generate(200, 16, 14, seed=8), "narrow_hours", 8)
    ix = Index(inst)
    lag = Lagrangian(ix, ix.positions())
    lag.minimise(0.0, seconds=2.0)
    one = priced_cluster_bound(lag, ix, lag.best_prices, time_limit=60.0, cluster_pairs=30, workers=1)
    two = priced_cluster_bound(lag, ix, lag.best_prices, time_limit=60.0, cluster_pairs=30, workers=2)
    assert one == two


@pytest.mark.parametrize(
    ("orders", "shape", "budget"),
    # The smaller size uses the regions of small instances, the larger one the district's (above 5,000).
    [(1_200, "spread", 1.5), (1_200, "narrow_hours", 1.5), (6_000, "clustered", 1.0)],
)
def test_solver_stopped_by_its_work_budget_repeats_its_answer(orders, shape, budget):
    # The district's runs end on the work budget, not by converging: the budget, counted in work units
    # and not in seconds, must then still make the seed alone decide the answer. The time limit is far
    # away so that the clock of a busy machine cannot end either run first.
    inst = reshape(generate(orders, orders * 3 // 40, orders * 3 // 50, seed=8), shape, 8)
    first = solve(inst, time_limit=600.0, seed=2, work_budget=budget)
    second = solve(inst, time_limit=600.0, seed=2, work_budget=budget)
    stats = first.stats["search"]
    assert stats.stopped_by == "work budget"
    assert budget <= stats.work < budget + 1.0  # one region past the budget at most
    assert first.to_json() == second.to_json()
    assert second.stats["search"].work == stats.work
    assert check(inst, first).violations == ()
    assert stats.final.weight > stats.greedy.weight  # the budget was spent on improvements, not lost


def venue_slot_wanted_by_two_categories():
    # Venues 10 and 11 open in slot A only. Category 1's orders (heavier) reach both venues, category 2's
    # reach venue 10 only. The greedy gives venue 10 to category 1 (first in its order among equal
    # classes); moving it to venue 11 gains category 1 nothing, so regions of one category keep it there
    # and category 2 finds venue 10 taken.
    return make_instance(
        categories=[category(1, 3, 3), category(2, 3, 3)],
        orders=[
            *(order(i, 1, km=0.5, slots=(A,), resident=i, weight=1.2) for i in (1, 2, 3)),
            *(order(i, 2, km=-0.5, slots=(A,), resident=i) for i in (4, 5, 6)),
        ],
        teachers=[teacher(7, (1,), (A,)), teacher(8, (2,), (A,))],
        venues=[venue(10, slots=(A,), km=0.0), venue(11, slots=(A,), km=1.0)],
    )


def test_cross_category_regions_hand_a_venue_slot_to_another_category():
    inst = venue_slot_wanted_by_two_categories()
    assert objective(inst, solve(inst, time_limit=5.0, cross=False)).weight == pytest.approx(3.6)
    solution = solve(inst, time_limit=5.0)
    assert check(inst, solution).violations == ()
    assert objective(inst, solution).weight == pytest.approx(6.6) == exact_optimum(inst)
    assert {(c.category, c.venue) for c in solution.classes} == {(1, 11), (2, 10)}


def test_lagrangian_prices_a_residents_orders_in_one_slot():
    # One resident orders two interests that can only meet in slot A: any solution places one of them.
    # Without rule 8 the relaxation opens both classes (bound 2); priced, it reaches the optimum.
    inst = make_instance(
        categories=[category(1, 1, 1), category(2, 1, 1)],
        orders=[order(1, 1, slots=(A,), resident=1), order(2, 2, slots=(A,), resident=1)],
        teachers=[teacher(7, (1,), (A,)), teacher(8, (2,), (A,))],
        venues=[venue(10, slots=(A,)), venue(11, slots=(A,))],
    )
    assert exact_optimum(inst) == 1.0
    ix = Index(inst)
    lag = Lagrangian(ix, ix.positions())
    assert int(lag.rs_used.sum()) == 1
    value, _ = lag.minimise(1.0, seconds=5.0)
    assert 1.0 <= value < 1.01
    assert 1.0 <= upper_bound(inst, time_limit=5.0).weight < 1.01
