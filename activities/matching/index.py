"""Pre-computed, integer-indexed views of an instance shared by the greedy, the solver and the reasons.

Everything here is static (it does not depend on a solution): which venues an order can walk to, which
teachers can teach a category at a venue, which orders could meet in a (category, venue, slot) position.
Ids are mapped to list indices once so the hot loops work on small ints, and every collection that is
iterated is sorted, which keeps results independent of hash seeds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .problem import DISTANCE_TOLERANCE_KM, EARTH_RADIUS_KM, Instance, haversine_km, within

_KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0


def _near_pairs(
    points: Sequence[tuple[float, float]], targets: Sequence[tuple[float, float]], radius_km: float
) -> list[list[tuple[int, float]]]:
    """For each point, the targets within ``radius_km`` (with tolerance) and their distances, nearest first.

    A uniform grid in degrees keeps this near-linear; the cell sizes are conservative (a latitude degree
    is never shorter than ``_KM_PER_DEGREE``, a longitude degree never shorter than at the highest
    latitude present), and every candidate is confirmed with the exact haversine.
    """
    result: list[list[tuple[int, float]]] = [[] for _ in points]
    if not points or not targets:
        return result
    max_lat = max(abs(lat) for lat, _ in list(points) + list(targets))
    reach = radius_km + 1e-3
    cell_lat = reach / _KM_PER_DEGREE * 1.01
    cos_lat = math.cos(math.radians(min(90.0, max_lat + cell_lat)))
    if cos_lat < 0.05 or cell_lat > 5.0:
        # Near the poles or with huge radii a grid buys nothing; compare every pair.
        for i, (lat, lon) in enumerate(points):
            row = [(j, haversine_km(lat, lon, tl, tn)) for j, (tl, tn) in enumerate(targets)]
            result[i] = sorted(((j, d) for j, d in row if within(d, radius_km)), key=lambda p: (p[1], p[0]))
        return result
    cell_lon = cell_lat / cos_lat * 1.01
    grid: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for j, (lat, lon) in enumerate(targets):
        grid[(math.floor(lat / cell_lat), math.floor(lon / cell_lon))].append(j)
    for i, (lat, lon) in enumerate(points):
        gy, gx = math.floor(lat / cell_lat), math.floor(lon / cell_lon)
        row: list[tuple[int, float]] = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for j in grid.get((gy + dy, gx + dx), ()):
                    tl, tn = targets[j]
                    d = haversine_km(lat, lon, tl, tn)
                    if within(d, radius_km):
                        row.append((j, d))
        row.sort(key=lambda p: (p[1], p[0]))
        result[i] = row
    return result


def _teacher_reach(instance: Instance) -> list[list[int]]:
    """For each teacher, the venues within their ``max_km`` (with the spec's tolerance), in venue order.

    Exactly what ``within(haversine_km(...), max_km)`` says for every pair: numpy's haversine (the same
    formula) settles every pair farther than 1e-6 km from the limit, where its rounding (far below a
    nanometre at city distances) cannot change the answer, and the few pairs closer than that are
    recomputed with ``haversine_km``. A district has about half a million pairs; one Python haversine
    each took seconds of the solver's minute.
    """
    teachers, venues = instance.teachers, instance.venues
    if not teachers or not venues:
        return [[] for _ in teachers]
    t_lat = np.radians(np.array([t.lat for t in teachers]))[:, None]
    t_lon = np.array([t.lon for t in teachers])[:, None]
    v_lat = np.radians(np.array([v.lat for v in venues]))[None, :]
    v_lon = np.array([v.lon for v in venues])[None, :]
    h = (
        np.sin((v_lat - t_lat) / 2) ** 2
        + np.cos(t_lat) * np.cos(v_lat) * np.sin(np.radians(v_lon - t_lon) / 2) ** 2
    )
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))
    limit = np.array([t.max_km for t in teachers])[:, None] + DISTANCE_TOLERANCE_KM
    inside = dist <= limit - 1e-6
    unsure = np.abs(dist - limit) <= 1e-6
    for t, v in zip(*np.nonzero(unsure), strict=True):
        teacher, venue = teachers[t], venues[v]
        inside[t, v] = within(haversine_km(teacher.lat, teacher.lon, venue.lat, venue.lon), teacher.max_km)
    return [np.flatnonzero(row).tolist() for row in inside]


class Index:
    """Static structure of an instance in integer indices (orders ``o``, venues ``v``, teachers ``t``,
    categories ``c``, slots ``s`` and residents ``r`` are positions in the instance's lists)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        inst = instance
        self.slot_ids: list[str] = [s.id for s in inst.slots]
        self.slot_of: dict[str, int] = {sid: i for i, sid in enumerate(self.slot_ids)}
        self.n_slots = len(self.slot_ids)
        all_slots = frozenset(range(self.n_slots))

        self.cat_of: dict[int, int] = {c.id: i for i, c in enumerate(inst.categories)}
        self.c_min = [c.min_size for c in inst.categories]
        self.c_max = [c.max_size for c in inst.categories]
        c_fac = [frozenset(c.facilities) for c in inst.categories]

        self.n_orders = len(inst.orders)
        self.o_cat = [self.cat_of[o.category] for o in inst.orders]
        self.o_w = [o.weight for o in inst.orders]
        self.o_slots: list[frozenset[int]] = [
            frozenset(self.slot_of[s] for s in o.slots) if o.slots else all_slots for o in inst.orders
        ]
        resident_of: dict[tuple[str, int], int] = {}
        self.o_res: list[int] = [
            resident_of.setdefault(o.resident_key, len(resident_of)) for o in inst.orders
        ]
        self.n_residents = len(resident_of)

        self.n_venues = len(inst.venues)
        self.v_slots = [frozenset(self.slot_of[s] for s in v.slots) for v in inst.venues]
        self.v_cap = [v.capacity for v in inst.venues]
        v_fac = [frozenset(v.facilities) for v in inst.venues]
        n_cats = len(inst.categories)
        # A venue "has the facilities" for c; it "can host" c when, in addition, a class of min_size fits.
        self.cv_facilities = [[c_fac[c] <= v_fac[v] for v in range(self.n_venues)] for c in range(n_cats)]
        self.cv_cap = [
            [min(self.c_max[c], self.v_cap[v]) for v in range(self.n_venues)] for c in range(n_cats)
        ]
        self.cv_hosts = [
            [self.cv_facilities[c][v] and self.cv_cap[c][v] >= self.c_min[c] for v in range(self.n_venues)]
            for c in range(n_cats)
        ]

        near = _near_pairs(
            [(o.lat, o.lon) for o in inst.orders], [(v.lat, v.lon) for v in inst.venues], inst.max_walk_km
        )
        # Venues each order can walk to that have its category's facilities (ignoring capacity) ...
        self.o_fac_venues: list[list[tuple[int, float]]] = []
        # ... and those that can actually host its class; nearest first.
        self.o_venues: list[list[tuple[int, float]]] = []
        self.o_vdist: list[dict[int, float]] = []
        for o in range(self.n_orders):
            c = self.o_cat[o]
            fac = [(v, d) for v, d in near[o] if self.cv_facilities[c][v]]
            self.o_fac_venues.append(fac)
            hosts = [(v, d) for v, d in fac if self.cv_hosts[c][v]]
            self.o_venues.append(hosts)
            self.o_vdist.append(dict(hosts))

        self.n_teachers = len(inst.teachers)
        self.t_slots = [frozenset(self.slot_of[s] for s in t.slots) for t in inst.teachers]
        self.t_max = [t.max_sessions for t in inst.teachers]
        self.t_skills = [frozenset(self.cat_of[k] for k in t.skills) for t in inst.teachers]
        # Teachers that can teach category c at venue v: skill, reach and a session to give. Shared slots
        # are left to the callers so the reason finder can tell "no teacher" from "no common slot".
        cv_teachers: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
        reach = _teacher_reach(inst)
        for t, teacher in enumerate(inst.teachers):
            if teacher.max_sessions <= 0 or not self.t_skills[t]:
                continue
            for v in reach[t]:
                for c in sorted(self.t_skills[t]):
                    if self.cv_facilities[c][v]:
                        cv_teachers[(c, v)].append(t)
        self.cv_teachers: dict[tuple[int, int], list[int]] = dict(cv_teachers)
        self._cv_slots: dict[tuple[int, int], frozenset[int]] = {}

        # Orders of category c that can walk to a venue v able to host c, nearest first.
        cv_orders: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
        for o in range(self.n_orders):
            for v, _ in self.o_venues[o]:
                cv_orders[(self.o_cat[o], v)].append(o)
        for key, lst in cv_orders.items():
            lst.sort(key=lambda o, v=key[1]: (self.o_vdist[o][v], o))
        self.cv_orders: dict[tuple[int, int], list[int]] = dict(cv_orders)

    def teacher_slots_at(self, c: int, v: int) -> frozenset[int]:
        """Slots in which some teacher could teach category c at venue v (ignoring who is busy)."""
        key = (c, v)
        cached = self._cv_slots.get(key)
        if cached is None:
            out: set[int] = set()
            for t in self.cv_teachers.get(key, ()):
                out |= self.t_slots[t]
            cached = self._cv_slots[key] = frozenset(out) & self.v_slots[v]
        return cached

    def positions(self) -> dict[tuple[int, int, int], list[int]]:
        """Every (category, venue, slot) where a class could meet, with its compatible orders.

        A position needs a venue able to host the category, a teacher who could teach there in that slot,
        and at least ``min_size`` compatible orders from distinct residents; orders are nearest first.
        """
        out: dict[tuple[int, int, int], list[int]] = {}
        for (c, v), orders in sorted(self.cv_orders.items()):
            slots = self.teacher_slots_at(c, v)
            if not slots:
                continue
            for s in sorted(slots):
                compatible = [o for o in orders if s in self.o_slots[o]]
                if len({self.o_res[o] for o in compatible}) >= self.c_min[c]:
                    out[(c, v, s)] = compatible
        return out

    def walk_m(self, o: int, v: int) -> int:
        """Walking distance in whole metres, for integer objectives."""
        return round(self.o_vdist[o][v] * 1000.0)
