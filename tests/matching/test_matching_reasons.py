import pytest

from activities.matching.checker import check
from activities.matching.greedy import greedy
from activities.matching.solver import solve

from .builders import A, B, category, make_instance, order, teacher, venue


def run(solver, inst):
    sol = greedy(inst) if solver == "greedy" else solve(inst, time_limit=2.0)
    assert check(inst, sol).feasible
    return {u.order: u.reason for u in sol.unassigned}


SOLVERS = ["greedy", "solver"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_venue_when_no_equipped_venue_within_walk(solver):
    inst = make_instance(
        categories=[category(1, 1, 5, ("music_room",))],
        # Order 1 is 2 km from the music room; order 2 is next to a venue without one.
        orders=[order(1, 1, km=2.0, resident=1), order(2, 1, km=5.0, resident=2)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10, ("music_room",), km=0.0), venue(11, (), km=5.1)],
    )
    assert run(solver, inst) == {1: "no_venue", 2: "no_venue"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_venue_when_venue_smaller_than_min_size(solver):
    inst = make_instance(
        categories=[category(1, 3, 5)],
        orders=[order(i, 1, resident=i) for i in (1, 2, 3)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10, capacity=2)],
    )
    assert run(solver, inst) == {1: "no_venue", 2: "no_venue", 3: "no_venue"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_teacher_when_no_skilled_teacher_in_reach(solver):
    inst = make_instance(
        categories=[category(1, 1, 5), category(2, 1, 5)],
        orders=[order(1, 1, resident=1)],
        # Teacher 7 teaches another category; teacher 8 has the skill but lives 12 km away.
        teachers=[teacher(7, (2,)), teacher(8, (1,), km=12.0, max_km=10.0)],
        venues=[venue(10)],
    )
    assert run(solver, inst) == {1: "no_teacher"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_teacher_when_the_only_teacher_is_used_up(solver):
    # One teacher, one session, two categories: the bigger class takes the session, so for the
    # other category no teacher is free (although one exists).
    inst = make_instance(
        categories=[category(1, 2, 5), category(2, 2, 5)],
        orders=[
            *(order(i, 1, resident=i) for i in (1, 2, 3)),
            order(4, 2, resident=4),
            order(5, 2, resident=5),
        ],
        teachers=[teacher(7, (1, 2), (A, B), max_sessions=1)],
        venues=[venue(10)],
    )
    assert run(solver, inst) == {4: "no_teacher", 5: "no_teacher"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_common_slot(solver):
    inst = make_instance(
        categories=[category(1, 1, 5)],
        # The order can come on Tuesday only; the venue opens Monday only.
        orders=[order(1, 1, slots=(B,), resident=1)],
        teachers=[teacher(7, (1,), (A, B))],
        venues=[venue(10, slots=(A,))],
    )
    assert run(solver, inst) == {1: "no_common_slot"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_below_min_size(solver):
    inst = make_instance(
        categories=[category(1, 3, 5)],
        orders=[order(1, 1, resident=1), order(2, 1, resident=2)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    assert run(solver, inst) == {1: "below_min_size", 2: "below_min_size"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_capacity_when_compatible_class_is_full(solver):
    inst = make_instance(
        categories=[category(1, 2, 3)],
        orders=[order(i, 1, km=0.1 * i, resident=i) for i in (1, 2, 3, 4)],
        teachers=[teacher(7, (1,), (A,), max_sessions=1)],
        venues=[venue(10, slots=(A,))],
    )
    assert run(solver, inst) == {4: "capacity"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_reason_no_common_slot_when_resident_busy(solver):
    # Resident 1 orders two categories, both only on Monday; one class takes Monday.
    inst = make_instance(
        categories=[category(1, 2, 5), category(2, 1, 5)],
        orders=[
            order(1, 1, slots=(A,), resident=1),
            order(2, 1, slots=(A,), resident=2),
            order(3, 1, slots=(A,), resident=3),
            order(4, 2, slots=(A,), resident=1),
        ],
        teachers=[teacher(7, (1,), (A,)), teacher(8, (2,), (A,))],
        venues=[venue(10, slots=(A,)), venue(11, slots=(A,))],
    )
    assert run(solver, inst) == {4: "no_common_slot"}
