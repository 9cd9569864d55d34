"""The benchmark's other shapes of demand (`generate.reshape`): each does what it says, the same seed gives
the same instance, and the solver stays feasible and no worse than the greedy on every one."""

import pytest

from activities.matching.checker import check, objective
from activities.matching.generate import SHAPES, generate, reshape
from activities.matching.greedy import greedy
from activities.matching.solver import solve


@pytest.fixture(scope="module")
def base():
    return generate(200, 16, 14, seed=4)


def test_the_same_seed_gives_the_same_shape_and_another_seed_another(base):
    for shape in SHAPES:
        assert reshape(base, shape, 1) == reshape(base, shape, 1)
    assert reshape(base, "clustered", 1) != reshape(base, "clustered", 2)


def test_spread_is_the_generators_own(base):
    assert reshape(base, "spread", 1) is base


def test_clustered_puts_most_residents_near_four_venues_and_keeps_each_residents_orders_together(base):
    inst = reshape(base, "clustered", 1)
    assert [(o.id, o.category, o.slots, o.resident) for o in inst.orders] == [
        (o.id, o.category, o.slots, o.resident) for o in base.orders
    ]
    homes: dict[int, set[tuple[float, float]]] = {}
    for o in inst.orders:
        homes.setdefault(o.resident, set()).add((o.lat, o.lon))
    assert all(len(places) == 1 for places in homes.values())
    moved = {o.resident for o, b in zip(inst.orders, base.orders, strict=True) if (o.lat, o.lon) != (b.lat, b.lon)}
    assert len(moved) / len(homes) > 0.7
    assert (inst.teachers, inst.venues) == (base.teachers, base.venues)


def test_scarce_skill_leaves_two_teachers_of_the_most_ordered_interest(base):
    inst = reshape(base, "scarce_skill", 1)
    counts: dict[int, int] = {}
    for o in base.orders:
        counts[o.category] = counts.get(o.category, 0) + 1
    top = max(sorted(counts), key=lambda c: counts[c])
    assert sum(top in t.skills for t in base.teachers) > 2
    assert sum(top in t.skills for t in inst.teachers) == 2
    assert all(t.skills for t in inst.teachers)
    assert (inst.orders, inst.venues) == (base.orders, base.venues)


def test_narrow_hours_open_each_venue_a_third_of_its_slots_in_a_row(base):
    inst = reshape(base, "narrow_hours", 1)
    position = {s.id: i for i, s in enumerate(base.slots)}
    for before, after in zip(base.venues, inst.venues, strict=True):
        assert set(after.slots) <= set(before.slots)
        assert len(after.slots) == max(1, len(before.slots) // 3)
        ordered = sorted(before.slots, key=position.get)
        start = ordered.index(after.slots[0])
        assert list(after.slots) == ordered[start : start + len(after.slots)]
    assert (inst.orders, inst.teachers) == (base.orders, base.teachers)


def test_an_unknown_shape_is_refused(base):
    with pytest.raises(ValueError, match="unknown shape"):
        reshape(base, "doughnut", 1)


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_solver_is_feasible_and_no_worse_than_greedy_on_every_shape(base, shape):
    inst = reshape(base, shape, 1)
    solution = solve(inst, time_limit=2.0, seed=0)
    assert check(inst, solution).violations == ()
    assert objective(inst, solution).weight >= objective(inst, greedy(inst)).weight
