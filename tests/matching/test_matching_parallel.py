"""Issue 20 (the district matching on both cores): regions solved side by side in worker processes give
the answer of the same search in one process, for a seed, a window and a work budget; a daemonic process
(a Celery prefork worker's) solves them in-process; proposals that meet in an order or a teacher are
kept only where they still fit."""

from __future__ import annotations

import multiprocessing

import pytest

from activities.matching.checker import check, objective
from activities.matching.generate import generate, reshape
from activities.matching.greedy import greedy
from activities.matching.index import Index
from activities.matching.solver import Proposal, Region, RegionSearch, solve
from activities.matching.state import State, WorkClass

from .builders import A, B, category, make_instance, order, teacher, venue

BUDGET = 3.0


@pytest.fixture(scope="module")
def district_like():
    # Above the size where the solver forks; narrow hours make the regions compete for venue slots.
    return reshape(generate(1_200, 90, 72, seed=8), "narrow_hours", 8)


@pytest.fixture(scope="module")
def two_processes(district_like):
    return solve(district_like, time_limit=600.0, seed=2, work_budget=BUDGET, processes=2)


def test_two_processes_give_the_answer_of_one(district_like, two_processes):
    one = solve(district_like, time_limit=600.0, seed=2, work_budget=BUDGET, processes=1)
    assert (one.stats["search"].processes, two_processes.stats["search"].processes) == (1, 2)
    assert one.to_json() == two_processes.to_json()
    assert one.stats["search"].work == two_processes.stats["search"].work


def test_two_processes_twice_give_the_same_answer(district_like, two_processes):
    again = solve(district_like, time_limit=600.0, seed=2, work_budget=BUDGET, processes=2)
    assert again.to_json() == two_processes.to_json()
    stats = two_processes.stats["search"]
    assert stats.stopped_by == "work budget"
    assert BUDGET <= stats.work < BUDGET + 1.0


def test_two_processes_feasible_and_better_than_greedy(district_like, two_processes):
    assert check(district_like, two_processes).violations == ()
    greedy_objective = objective(district_like, greedy(district_like))
    assert objective(district_like, two_processes).weight > greedy_objective.weight


def _solve_in_daemon(inst, conn) -> None:
    solution = solve(inst, time_limit=600.0, seed=2, work_budget=BUDGET, processes=2)
    conn.send((solution.to_json(), solution.stats["search"].processes))


def test_a_daemonic_process_solves_in_process_with_the_same_answer(district_like, two_processes):
    # A Celery prefork worker's pool process is daemonic and may not start children.
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_solve_in_daemon, args=(district_like, theirs), daemon=True)
    proc.start()
    answer, processes = mine.recv()
    proc.join()
    assert processes == 1
    assert answer == two_processes.to_json()


def test_a_small_instance_is_solved_in_process():
    inst = generate(160, 14, 12, seed=1)
    assert solve(inst, time_limit=5.0, seed=0, processes=2).stats["search"].processes == 1


def two_venues_one_teacher_session():
    # Orders 1-6 reach both venues; teacher 7 has one session left, teacher 8 two.
    return make_instance(
        categories=[category(1, 2, 5)],
        orders=[order(i, 1, km=0.5) for i in range(1, 7)],
        teachers=[teacher(7, (1,), max_sessions=1), teacher(8, (1,))],
        venues=[venue(10, km=0.0), venue(11, km=1.0)],
    )


def _search(inst) -> RegionSearch:
    ix = Index(inst)
    return RegionSearch(State(ix), ix.positions(), seed=0, num_workers=1, region_size=100, region_dtime=0.1)


def _proposal(ix: Index, v: int, s: str, t: int, orders: set[int]) -> Proposal:
    # Index space: venue, slot, teacher and order ids mapped to their positions in the instance's lists.
    k = WorkClass(0, v, ix.slot_of[s], t, orders)
    return Proposal(removed=[], new=[k], optimal=True, work=0.1)


def test_a_proposal_that_lost_an_order_keeps_its_class_without_it():
    search = _search(two_venues_one_teacher_session())
    ix = search.ix
    first, first_conflict = search.apply(Region(0, (0,), None), _proposal(ix, 0, A, 1, {0, 1, 2}))
    # Solved side by side with the first, it counted on order 2 too.
    second, second_conflict = search.apply(Region(0, (1,), None), _proposal(ix, 1, B, 1, {2, 3, 4}))
    assert (first is not None, first_conflict) == (True, False)
    assert (second is not None, second_conflict) == (True, True)
    assert sorted((k.v, sorted(k.orders)) for k in search.state.classes.values()) == [
        (0, [0, 1, 2]),
        (1, [3, 4]),
    ]


def test_a_proposal_whose_teacher_has_no_session_left_is_dropped():
    search = _search(two_venues_one_teacher_session())
    ix = search.ix
    search.apply(Region(0, (0,), None), _proposal(ix, 0, A, 0, {0, 1, 2}))
    change, conflict = search.apply(Region(0, (1,), None), _proposal(ix, 1, B, 0, {3, 4, 5}))
    assert (change, conflict) == (None, True)
    assert [(k.v, k.t) for k in search.state.classes.values()] == [(0, 0)]
    assert search.state.teacher_used == [1, 0]
