"""Near misses: constructed instances where one relaxation opens a class and the others do not."""

from __future__ import annotations

import dataclasses
import json

from activities.matching.__main__ import main
from activities.matching.checker import check, check_near_misses
from activities.matching.near_miss import (
    NearMiss,
    Relaxation,
    find_near_misses,
    gathering_counts,
    read_near_misses,
)
from activities.matching.problem import Instance
from activities.matching.solver import solve

from .builders import A, B, category, instance_dict, north, order, teacher, venue


def _solve(inst: Instance):
    sol = solve(inst, time_limit=2.0)
    assert check(inst, sol).feasible
    return sol


def _found(data: dict) -> tuple[Instance, object, list[NearMiss]]:
    inst = Instance.from_dict(data)
    sol = _solve(inst)
    report = find_near_misses(inst, sol)
    assert report.complete
    assert check_near_misses(inst, sol, report.near_misses) == []
    return inst, sol, list(report.near_misses)


def _kinds(near_misses) -> set[str]:
    return {n.relaxation for n in near_misses}


def test_radius_opens_the_class_and_nothing_else_does():
    # Two residents next to the venue, a third at 1.6 km: min size 3.
    data = instance_dict(
        categories=[category(1, 3, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 1.6, (A,), 3)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    inst, sol, found = _found(data)
    assert {u.order: u.reason for u in sol.unassigned} == {
        1: "below_min_size",
        2: "below_min_size",
        3: "no_venue",
    }
    assert len(found) == 1
    nm = found[0]
    assert (nm.relaxation, nm.orders, nm.extra, nm.venue, nm.slot, nm.teacher) == (
        "radius",
        (1, 2),
        (3,),
        10,
        A,
        7,
    )
    assert nm.radius_km == 1.6
    assert nm.missing == 1
    assert nm.describe() == "2 of 3, 1 more within 1.60 km"


def test_no_radius_near_miss_beyond_two_km():
    data = instance_dict(
        categories=[category(1, 3, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 2.3, (A,), 3)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    _inst, _sol, found = _found(data)
    assert found == []


def test_slot_inside_free_times_opens_the_class():
    # Resident 3 chose Tuesday but is free on Monday too; resident 4 is free only on Tuesday.
    orders = [order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 0.3, (B,), 3)]
    orders[2]["free_slots"] = [A, B]
    data = instance_dict(
        categories=[category(1, 3, 10)], orders=orders, teachers=[teacher(7, (1,))], venues=[venue(10)]
    )
    _inst, _sol, found = _found(data)
    assert [(n.relaxation, n.orders, n.extra, n.slot) for n in found] == [("slot", (1, 2), (3,), A)]


def test_never_a_slot_outside_a_residents_free_times():
    # Same, but resident 3 is free only on Tuesday: moving them to Monday is forbidden.
    orders = [order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 0.3, (B,), 3)]
    data = instance_dict(
        categories=[category(1, 3, 10)], orders=orders, teachers=[teacher(7, (1,))], venues=[venue(10)]
    )
    inst, sol, found = _found(data)
    assert found == []
    # A hand-written near miss that bends the rule is refused by the checker.
    forged = NearMiss("slot", 1, (1, 2), (3,), needed=3, min_size=3, venue=10, slot=A, teacher=7)
    messages = [v.message for v in check_near_misses(inst, sol, [forged])]
    assert messages == ["near miss #0 (slot, category 1): order 3 does not join by relaxing slot alone"]


def test_smaller_class_the_teacher_accepts():
    teachers = [teacher(7, (1,)), teacher(8, (1,))]
    teachers[1]["min_class"] = 2
    data = instance_dict(
        categories=[category(1, 3, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2)],
        teachers=teachers,
        venues=[venue(10)],
    )
    _inst, _sol, found = _found(data)
    assert [(n.relaxation, n.teacher, n.min_size, n.orders) for n in found] == [("smaller", 8, 2, (1, 2))]


def test_smaller_needs_a_teacher_who_accepts_it():
    teachers = [teacher(7, (1,))]
    teachers[0]["min_class"] = 3  # no smaller than the interest's own minimum
    data = instance_dict(
        categories=[category(1, 3, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2)],
        teachers=teachers,
        venues=[venue(10)],
    )
    _inst, _sol, found = _found(data)
    assert found == []


def test_parent_interest_pools_narrower_orders():
    # 舞蹈 (1) with two orders, 民族舞 (2, under 舞蹈) with one: only a 舞蹈 teacher.
    categories = [category(1, 3, 10), {**category(2, 3, 10), "parent": 1}]
    data = instance_dict(
        categories=categories,
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 2, 0.3, (A,), 3)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    inst, sol, found = _found(data)
    assert [(n.relaxation, n.category, n.orders, n.extra) for n in found] == [("parent", 1, (1, 2), (3,))]
    # A sibling with no parent link cannot be pooled: the checker refuses it.
    unlinked = Instance.from_dict({**data, "categories": [category(1, 3, 10), category(2, 3, 10)]})
    sol2 = _solve(unlinked)
    assert find_near_misses(unlinked, sol2).near_misses == ()
    assert check_near_misses(unlinked, sol2, found) != []


def test_existing_group_within_two_km():
    data = instance_dict(
        categories=[category(1, 3, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 5.0, (A,), 3)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    data["groups"] = [{"id": 50, "category": 1, **north(1.0), "room": 1}]
    _inst, _sol, found = _found(data)
    # Order 2 is nearer the group (0.8 km); the one place goes to it; order 3 is 4 km away.
    assert [(n.relaxation, n.group, n.extra) for n in found] == [("group", 50, (2,))]


def test_busy_teacher_or_venue_gives_no_near_miss():
    # The only teacher holds another class in the only slot: nothing can open.
    data = instance_dict(
        categories=[category(1, 3, 10), category(2, 2, 10)],
        orders=[
            order(1, 1, 0.1, (A,), 1),
            order(2, 1, 0.2, (A,), 2),
            order(3, 1, 1.6, (A,), 3),
            order(4, 2, 0.1, (A,), 4),
            order(5, 2, 0.1, (A,), 5),
        ],
        teachers=[teacher(7, (1, 2), slots=(A,), max_sessions=1)],
        venues=[venue(10, slots=(A,)), venue(11, slots=(A,))],
    )
    inst, sol, found = _found(data)
    assert len(sol.classes) == 1 and sol.classes[0].category == 2
    assert found == []
    forged = NearMiss("radius", 1, (1, 2), (3,), 3, 3, venue=11, slot=A, teacher=7, radius_km=1.6)
    assert any("not free" in v.message for v in check_near_misses(inst, sol, [forged]))


def test_checker_refuses_a_near_miss_the_rules_already_open():
    data = instance_dict(
        categories=[category(1, 2, 10)],
        orders=[order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2)],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    inst = Instance.from_dict(data)
    sol = dataclasses.replace(_solve(inst))
    forged = NearMiss("radius", 1, (1, 2), (), 2, 2, venue=10, slot=A, teacher=7, radius_km=0.0)
    messages = [v.message for v in check_near_misses(inst, sol, [forged])]
    assert any("placed" in m for m in messages)


def test_gathering_counts_only_within_the_walking_circle():
    data = instance_dict(
        categories=[category(1, 5, 10), category(2, 5, 10)],
        orders=[
            order(1, 1, 0.0, (A,), 1),
            order(2, 1, 1.0, (A,), 2),
            order(3, 1, 1.35, (A,), 3),  # 1.35 km from order 1: beyond the 1.2 km circle
            order(4, 2, 0.0, (A,), 4),  # another interest
            order(5, 1, 0.1, (B,), 1),  # the same resident again does not count twice
        ],
        teachers=[teacher(7, (1,))],
        venues=[venue(10)],
    )
    inst = Instance.from_dict(data)
    counts = gathering_counts(inst, _solve(inst))
    assert counts == {1: 1, 2: 2, 3: 1, 4: 0, 5: 1}


def test_json_round_trip_and_cli_check(tmp_path, capsys):
    orders = [order(1, 1, 0.1, (A,), 1), order(2, 1, 0.2, (A,), 2), order(3, 1, 1.6, (A,), 3)]
    data = instance_dict(
        categories=[category(1, 3, 10)], orders=orders, teachers=[teacher(7, (1,))], venues=[venue(10)]
    )
    inst_path = tmp_path / "inst.json"
    inst_path.write_text(json.dumps(data))
    sol_path = tmp_path / "sol.json"
    assert main(["solve", str(inst_path), "--time-limit", "2", "--near-misses", "-o", str(sol_path)]) == 0
    err = capsys.readouterr().err
    assert "near misses: radius 1" in err
    doc = json.loads(sol_path.read_text())
    assert [NearMiss.from_dict(d).relaxation for d in doc["near_misses"]] == [Relaxation.RADIUS]
    assert read_near_misses(doc)[0].extra == (3,)
    assert main(["check", str(inst_path), str(sol_path)]) == 0
    assert "near misses: 1, each opens its class under its one relaxation" in capsys.readouterr().out
    # Tamper: claim the far resident lives within 1 km.
    doc["near_misses"][0]["radius_km"] = 1.0
    sol_path.write_text(json.dumps(doc))
    assert main(["check", str(inst_path), str(sol_path)]) == 1
    assert "beyond the reported radius" in capsys.readouterr().out


def test_instance_fields_round_trip():
    data = instance_dict(
        categories=[category(1, 3, 10), {**category(2, 3, 10), "parent": 1}],
        orders=[{**order(1, 2, 0.1, (A,), 1), "free_slots": [A, B]}],
        teachers=[{**teacher(7, (1,)), "min_class": 2}],
        venues=[venue(10)],
    )
    data["groups"] = [{"id": 50, "category": 1, **north(1.0), "room": 3, "slot": A}]
    inst = Instance.from_dict(data)
    assert Instance.from_json(inst.to_json()) == inst
    assert inst.categories[1].parent == 1 and inst.teachers[0].min_class == 2
