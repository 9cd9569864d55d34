"""Property check over many tiny random instances (seeded, so failures reproduce): whatever the
shape, greedy and solver return solutions that keep every rule, list every order exactly once, give
valid reasons, and the solver never loses to the greedy."""

import random

import pytest

from activities.matching.checker import check, objective
from activities.matching.greedy import greedy
from activities.matching.problem import Reason
from activities.matching.solver import solve

from .builders import make_instance

SLOTS = ["mon-0900", "tue-0900"]


def random_instance(seed):
    rng = random.Random(seed)
    n_cats = rng.randint(1, 3)
    facilities = ["a", "b"]
    cats = []
    for c in range(1, n_cats + 1):
        lo = rng.randint(1, 3)
        cats.append(
            {
                "id": c,
                "name": f"c{c}",
                "facilities": rng.sample(facilities, rng.randint(0, 1)),
                "min_size": lo,
                "max_size": lo + rng.randint(0, 3),
            }
        )

    def point():
        # A 3 km square: some orders walk to venues, some cannot.
        return {"lat": 29.6 + rng.uniform(0, 0.027), "lon": 106.5 + rng.uniform(0, 0.031)}

    orders = []
    for i in range(rng.randint(0, 18)):
        o = {
            "id": i + 1,
            "category": rng.randint(1, n_cats),
            **point(),
            "slots": rng.sample(SLOTS, rng.randint(0, 2)),
            "weight": rng.choice([1.0, 1.5, 2.0]),
        }
        if rng.random() < 0.8:
            o["resident"] = rng.randint(1, 8)  # residents often share, which exercises rule 8
        orders.append(o)
    teachers = [
        {
            "id": t + 1,
            "skills": rng.sample(range(1, n_cats + 1), rng.randint(1, n_cats)),
            "slots": rng.sample(SLOTS, rng.randint(0, 2)),
            "max_sessions": rng.randint(0, 2),
            **point(),
            "max_km": rng.choice([0.5, 1.5, 5.0]),
        }
        for t in range(rng.randint(0, 3))
    ]
    venues = [
        {
            "id": v + 1,
            "capacity": rng.randint(1, 6),
            "facilities": rng.sample(facilities, rng.randint(0, 2)),
            "slots": rng.sample(SLOTS, rng.randint(0, 2)),
            **point(),
        }
        for v in range(rng.randint(0, 4))
    ]
    return make_instance(categories=cats, orders=orders, teachers=teachers, venues=venues)


@pytest.mark.parametrize("seed", range(40))
def test_random_tiny_instances_solutions_keep_every_rule(seed):
    inst = random_instance(seed)
    g = greedy(inst)
    s = solve(inst, time_limit=2.0, seed=seed)
    for sol in (g, s):
        report = check(inst, sol)
        assert report.violations == ()
        ids = sorted([o for c in sol.classes for o in c.orders] + [u.order for u in sol.unassigned])
        assert ids == sorted(o.id for o in inst.orders)
        assert {u.reason for u in sol.unassigned} <= {r.value for r in Reason}
    assert not objective(inst, g).better_than(objective(inst, s))
