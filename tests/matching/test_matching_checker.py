import pytest

from activities.matching.checker import check
from activities.matching.problem import ClassAssignment as K
from activities.matching.problem import Solution, Unassigned

from .builders import A, B, category, make_instance, order, teacher, venue

MUSIC = ("music_room",)


@pytest.fixture
def inst():
    return make_instance(
        categories=[category(1, 2, 3, MUSIC), category(2, 1, 5)],
        orders=[
            order(1, 1, 0.1, (A, B), resident=501),
            order(2, 1, 0.1, (), resident=502),
            order(3, 1, 0.1, (A,), resident=503),
            order(4, 1, 0.1, (A, B), resident=504),
            order(5, 2, 0.1, (), resident=501),
            order(6, 1, 5.0, (), resident=506),
            order(7, 2, 0.1, (B,), resident=507),
            order(8, 2, 0.1, (), resident=508),
        ],
        teachers=[
            teacher(7, (1, 2), (A, B), max_sessions=2),
            teacher(8, (2,), (A,), max_sessions=1),
            teacher(9, (1, 2), (A, B), max_sessions=3, km=20.0, max_km=5.0),
            teacher(6, (1, 2), (A, B), max_sessions=1),
        ],
        venues=[venue(10, MUSIC), venue(11, (), km=0.3), venue(12, MUSIC, capacity=2, km=0.2)],
    )


def solution(classes, unassigned):
    return Solution(
        classes=tuple(K(*c) for c in classes),
        unassigned=tuple(Unassigned(o, r) for o, r in unassigned),
    )


CLASS1 = (1, 7, 10, A, (1, 2, 3))
CLASS2 = (2, 7, 11, B, (5, 7))
REST = [(4, "capacity"), (6, "no_venue"), (8, "capacity")]


def test_checker_valid_solution_is_feasible_with_objective(inst):
    report = check(inst, solution([CLASS1, CLASS2], REST))
    assert report.violations == ()
    assert report.feasible
    assert report.objective.weight == pytest.approx(5.0)
    # Three orders walk 0.1 km to venue 10, two walk 0.2 km to venue 11.
    assert report.objective.walk_km == pytest.approx(0.7, abs=1e-6)
    assert report.objective.classes == 2


@pytest.mark.parametrize(
    ("classes", "unassigned"),
    [
        ([CLASS1, CLASS2], [(4, "capacity"), (8, "capacity")]),  # order 6 missing
        ([CLASS1, CLASS2], [*REST, (1, "capacity")]),  # order 1 twice
        ([CLASS1, CLASS2], [*REST, (99, "capacity")]),  # unknown order
    ],
)
def test_checker_rule1_every_order_exactly_once(inst, classes, unassigned):
    assert check(inst, solution(classes, unassigned)).rules_broken == {1}


def test_checker_rule2_teacher_without_skill(inst):
    bad = (1, 8, 10, A, (1, 2, 3))
    assert check(inst, solution([bad, CLASS2], REST)).rules_broken == {2}


def test_checker_rule2_venue_without_facilities(inst):
    bad = (1, 7, 11, A, (1, 2, 3))
    assert check(inst, solution([bad, CLASS2], REST)).rules_broken == {2}


def test_checker_rule3_teacher_not_available_in_slot(inst):
    bad = (2, 8, 11, B, (5, 7))
    assert check(inst, solution([CLASS1, bad], REST)).rules_broken == {3}


def test_checker_rule3_venue_closed_in_slot():
    inst = make_instance(
        categories=[category(1, 1, 5)],
        orders=[order(1, 1)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10, slots=(A,))],
    )
    assert check(inst, solution([(1, 7, 10, B, (1,))], [])).rules_broken == {3}


def test_checker_rule4_teacher_two_classes_in_one_slot(inst):
    bad = (2, 7, 11, A, (8,))
    report = check(
        inst, solution([CLASS1, bad], [(4, "capacity"), (5, "capacity"), (6, "no_venue"), (7, "capacity")])
    )
    assert report.rules_broken == {4}


def test_checker_rule4_teacher_above_max_sessions(inst):
    first = (1, 6, 10, A, (1, 2, 3))
    second = (2, 6, 11, B, (5, 7))
    assert check(inst, solution([first, second], REST)).rules_broken == {4}


def test_checker_rule4_teacher_too_far(inst):
    bad = (1, 9, 10, A, (1, 2, 3))
    assert check(inst, solution([bad, CLASS2], REST)).rules_broken == {4}


def test_checker_rule5_venue_two_classes_in_one_slot(inst):
    bad = (2, 6, 10, A, (8,))
    assert check(inst, solution([CLASS1, CLASS2, bad], [(4, "capacity"), (6, "no_venue")])).rules_broken == {
        5
    }


def test_checker_rule6_below_min_size(inst):
    bad = (1, 7, 10, A, (1,))
    rest = [(2, "below_min_size"), (3, "below_min_size"), *REST]
    assert check(inst, solution([bad, CLASS2], rest)).rules_broken == {6}


def test_checker_rule6_above_max_size(inst):
    bad = (1, 7, 10, A, (1, 2, 3, 4))
    assert check(inst, solution([bad, CLASS2], [(6, "no_venue"), (8, "capacity")])).rules_broken == {6}


def test_checker_rule6_above_venue_capacity(inst):
    bad = (1, 7, 12, A, (1, 2, 3))
    assert check(inst, solution([bad, CLASS2], REST)).rules_broken == {6}


def test_checker_rule7_order_of_other_category(inst):
    bad = (1, 7, 10, A, (1, 2, 8))
    rest = [(3, "capacity"), (4, "capacity"), (6, "no_venue")]
    assert check(inst, solution([bad, CLASS2], rest)).rules_broken == {7}


def test_checker_rule7_order_not_listing_slot(inst):
    bad = (1, 6, 10, B, (2, 3, 4))
    rest = [(1, "capacity"), (6, "no_venue"), (8, "capacity")]
    assert check(inst, solution([bad, CLASS2], rest)).rules_broken == {7}


def test_checker_rule7_order_beyond_walking_limit(inst):
    bad = (1, 7, 10, A, (1, 2, 6))
    rest = [(3, "capacity"), (4, "capacity"), (8, "capacity")]
    assert check(inst, solution([bad, CLASS2], rest)).rules_broken == {7}


def test_checker_rule8_resident_in_two_classes_at_once(inst):
    bad = (2, 6, 11, A, (5,))
    rest = [(4, "capacity"), (6, "no_venue"), (7, "capacity"), (8, "capacity")]
    assert check(inst, solution([CLASS1, bad], rest)).rules_broken == {8}


def test_checker_unknown_reason_code(inst):
    rest = [(4, "capacity"), (6, "busy"), (8, "capacity")]
    report = check(inst, solution([CLASS1, CLASS2], rest))
    assert report.rules_broken == {"reason"}
    assert not report.feasible


def test_checker_distance_at_limit_is_within_tolerance():
    inst = make_instance(
        categories=[category(1, 1, 5)],
        orders=[order(1, 1, km=1.2)],
        teachers=[teacher(7, (1,), max_km=1.2, km=1.2)],
        venues=[venue(10, km=0.0)],
    )
    assert check(inst, solution([(1, 7, 10, A, (1,))], [])).feasible
