"""activities.matching.split: independent parts of an instance (issue 18, the matching fan-out)."""

from __future__ import annotations

from dataclasses import replace

from activities.matching.checker import check, objective
from activities.matching.generate import generate
from activities.matching.problem import Instance, Solution, haversine_km, within
from activities.matching.solver import solve
from activities.matching.split import balance, merge, split


def _moved(instance: Instance, *, dlat: float, offset: int) -> Instance:
    """The same instance 1 degree of latitude (110 km) away, every id shifted by `offset`."""
    return replace(
        instance,
        orders=tuple(
            replace(
                o,
                id=o.id + offset,
                lat=o.lat + dlat,
                resident=None if o.resident is None else o.resident + offset,
            )
            for o in instance.orders
        ),
        teachers=tuple(replace(t, id=t.id + offset, lat=t.lat + dlat) for t in instance.teachers),
        venues=tuple(replace(v, id=v.id + offset, lat=v.lat + dlat) for v in instance.venues),
    )


def _two_towns(seed: int = 3) -> tuple[Instance, Instance, Instance]:
    north = generate(40, 6, 6, seed=seed)
    south = _moved(generate(40, 6, 6, seed=seed + 1), dlat=1.0, offset=10_000_000)
    categories = {c.id: c for c in (*north.categories, *south.categories)}
    both = replace(
        north,
        categories=tuple(categories.values()),
        orders=north.orders + south.orders,
        teachers=north.teachers + south.teachers,
        venues=north.venues + south.venues,
    )
    return north, south, both


def test_split_parts_partition_the_orders_and_never_share_a_venue_teacher_or_resident():
    instance = generate(300, 25, 30, seed=5)
    parts = split(instance)
    order_ids = [o.id for p in parts for o in p.orders]
    assert sorted(order_ids) == sorted(o.id for o in instance.orders)
    for kind in ("venues", "teachers"):
        ids = [x.id for p in parts for x in getattr(p, kind)]
        assert len(ids) == len(set(ids)), kind
    residents = [{o.resident for o in p.orders if o.resident is not None} for p in parts]
    assert sum(len(r) for r in residents) == len(set().union(*residents))
    # Every venue within an order's walk is in the order's part.
    part_of_venue = {v.id: k for k, p in enumerate(parts) for v in p.venues}
    for k, p in enumerate(parts):
        for o in p.orders:
            for v in instance.venues:
                if within(haversine_km(o.lat, o.lon, v.lat, v.lon), instance.max_walk_km):
                    assert part_of_venue[v.id] == k
    # Largest first.
    assert [len(p.orders) for p in parts] == sorted((len(p.orders) for p in parts), reverse=True)


def test_split_far_towns_are_two_parts_and_the_merged_solution_is_the_whole_ones():
    north, south, both = _two_towns()
    parts = split(both)
    assert len(parts) >= 2
    north_ids = {o.id for o in north.orders}
    # No part holds orders of both towns.
    assert all(len({o.id in north_ids for o in p.orders}) == 1 for p in parts)
    merged = merge(solve(p, time_limit=10, seed=1) for p in parts)
    whole = solve(both, time_limit=10, seed=1)
    assert check(both, merged).feasible
    # Stated difference: solved apart, each part has its own search budget; on towns this small the solver
    # reaches each part's optimum both ways, so the objective is the same (the classes may be another of the
    # equally good choices).
    assert objective(both, merged) == objective(both, whole)
    # Solving a part twice gives the same answer (a retried task changes nothing).
    assert (
        solve(parts[0], time_limit=10, seed=1).normalized()
        == solve(parts[0], time_limit=10, seed=1).normalized()
    )


def test_split_keeps_a_residents_orders_together_and_drops_venues_nobody_can_walk_to():
    instance = generate(60, 8, 8, seed=9)
    o1, o2 = instance.orders[0], instance.orders[-1]
    far = replace(o2, lat=o2.lat + 2.0, resident=o1.resident if o1.resident is not None else 777)
    o1 = replace(o1, resident=far.resident)
    lonely = replace(instance.venues[0], id=999_999, lat=instance.venues[0].lat - 3.0)
    instance = replace(instance, orders=(o1, *instance.orders[1:-1], far), venues=(*instance.venues, lonely))
    parts = split(instance)
    (home,) = [p for p in parts if o1.id in {o.id for o in p.orders}]
    assert far.id in {o.id for o in home.orders}
    assert all(lonely.id not in {v.id for v in p.venues} for p in parts)


def test_balance_gives_every_part_to_one_task_and_no_more_tasks_than_asked():
    parts = split(_two_towns()[2])
    for workers in (1, 2, 3, 50):
        tasks = balance(parts, workers)
        assert len(tasks) <= workers
        assert sorted(i for t in tasks for i in t) == list(range(len(parts)))
    assert balance([], 4) == []
    assert merge([]) == Solution()
