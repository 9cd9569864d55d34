import copy
import json
import math

import pytest

from activities.matching.problem import (
    Instance,
    InstanceError,
    Solution,
    SolutionError,
    haversine_km,
)

from .builders import A, category, instance_dict, order, teacher, venue

SPEC_INSTANCE = {
    "version": 1,
    "max_walk_km": 1.2,
    "slots": [{"id": "mon-0900", "weekday": 0, "start": "09:00", "end": "10:30"}],
    "categories": [{"id": 12, "name": "二胡", "facilities": ["music_room"], "min_size": 5, "max_size": 20}],
    "orders": [
        {
            "id": 1001,
            "resident": 501,
            "category": 12,
            "lat": 29.61,
            "lon": 106.51,
            "slots": ["mon-0900"],
            "weight": 1.0,
        }
    ],
    "teachers": [
        {
            "id": 7,
            "skills": [12],
            "slots": ["mon-0900"],
            "max_sessions": 3,
            "lat": 29.60,
            "lon": 106.50,
            "max_km": 10.0,
        }
    ],
    "venues": [
        {
            "id": 3,
            "capacity": 30,
            "facilities": ["music_room"],
            "slots": ["mon-0900"],
            "lat": 29.61,
            "lon": 106.52,
        }
    ],
}
SPEC_SOLUTION = {
    "classes": [{"category": 12, "teacher": 7, "venue": 3, "slot": "mon-0900", "orders": [1001]}],
    "unassigned": [{"order": 1002, "reason": "no_teacher"}],
}


def test_instance_round_trip_spec_example():
    inst = Instance.from_dict(SPEC_INSTANCE)
    assert inst.to_dict() == SPEC_INSTANCE
    assert Instance.from_json(inst.to_json()) == inst


def test_solution_round_trip_spec_example():
    sol = Solution.from_dict(SPEC_SOLUTION)
    assert sol.to_dict() == SPEC_SOLUTION
    assert json.loads(sol.to_json()) == SPEC_SOLUTION


def test_order_without_resident_is_its_own_resident():
    data = instance_dict(
        categories=[category(1, 1, 5)],
        orders=[order(1, 1), order(2, 1), order(3, 1, resident=9), order(4, 1, resident=9)],
        teachers=[],
        venues=[],
    )
    inst = Instance.from_dict(data)
    keys = [o.resident_key for o in inst.orders]
    assert keys[0] != keys[1]
    assert keys[2] == keys[3]
    assert "resident" not in inst.to_dict()["orders"][0]


def test_order_with_empty_slots_accepts_any_slot():
    inst = Instance.from_dict(
        instance_dict(categories=[category(1, 1, 5)], orders=[order(1, 1, slots=())], teachers=[], venues=[])
    )
    assert inst.orders[0].accepts_slot(A)
    assert inst.orders[0].accepts_slot("tue-0900")


@pytest.mark.parametrize("kind", ["slots", "categories", "orders", "teachers", "venues"])
def test_instance_duplicate_ids_raise(kind):
    data = copy.deepcopy(SPEC_INSTANCE)
    data[kind].append(copy.deepcopy(data[kind][0]))
    with pytest.raises(InstanceError, match="duplicate"):
        Instance.from_dict(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("orders", "category"), 99, "unknown category"),
        (("orders", "slots"), ["sun-2300"], "unknown slot"),
        (("orders", "weight"), 0, "weight must be a positive"),
        (("orders", "weight"), -1.5, "weight must be a positive"),
        (("teachers", "skills"), [99], "unknown skill"),
        (("venues", "slots"), ["nope"], "unknown slot"),
        (("orders", "id"), "1001", "must be an integer"),
        (("orders", "lat"), 123.0, "at most 90"),
        (("categories", "max_size"), 2, "below min_size"),
    ],
)
def test_instance_invalid_values_raise(path, value, message):
    data = copy.deepcopy(SPEC_INSTANCE)
    data[path[0]][0][path[1]] = value
    with pytest.raises(InstanceError, match=message):
        Instance.from_dict(data)


def test_instance_invalid_json_raises():
    with pytest.raises(InstanceError, match="not valid JSON"):
        Instance.from_json("{")


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"classes": {}},
        {"classes": [{"category": 1}]},
        {"unassigned": [{"order": "x", "reason": "capacity"}]},
    ],
)
def test_solution_bad_shape_raises(data):
    with pytest.raises(SolutionError):
        Solution.from_dict(data)


def test_haversine_one_degree_of_latitude_is_r_times_radian():
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(6371.0 * math.pi / 180, rel=1e-12)
    assert haversine_km(29.6, 106.5, 29.6, 106.5) == 0.0


def test_builders_teacher_and_venue_are_valid():
    inst = Instance.from_dict(
        instance_dict(
            categories=[category(1, 1, 5)],
            orders=[order(1, 1)],
            teachers=[teacher(7, (1,))],
            venues=[venue(3)],
        )
    )
    assert inst.teacher_by_id[7].skills == (1,)
    assert inst.venue_by_id[3].capacity == 30
