"""Synthetic instances with a realistic shape, for tests and benchmarks.

Geography: neighbourhood clusters (小区/社区) scattered around a district centre near Chongqing's
Liangjiang New Area (29.6 N, 106.5 E); residents live in them, most venues sit in them, grassroots
teachers live in them and travel a few km, professional teachers come from anywhere and travel far.
Demand: a popularity-weighted set of interests; residents of three profiles (retired, working, family)
list the weekly slots they can attend, with some slots more popular than others. The same seed always
gives the same instance.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace

from .problem import Category, Instance, Order, Slot, Teacher, Venue

CENTRE = (29.60, 106.50)
MAX_WALK_KM = 1.2
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOWS = (("08:30", "10:00"), ("10:15", "11:45"), ("14:30", "16:00"), ("16:15", "17:45"), ("19:30", "21:00"))

# name, facilities, min_size, max_size, popularity, (retired, working, family) taste multipliers
CATEGORIES: tuple[tuple[str, tuple[str, ...], int, int, float, tuple[float, float, float]], ...] = (
    ("广场舞", ("open_space",), 8, 30, 10.0, (2.0, 0.6, 0.4)),
    ("太极拳", ("open_space",), 6, 25, 8.0, (2.0, 0.5, 0.3)),
    ("合唱", ("music_room",), 8, 30, 6.0, (1.6, 0.8, 0.5)),
    ("二胡", ("music_room",), 5, 15, 3.0, (1.5, 0.5, 0.5)),
    ("书法", ("desks",), 5, 20, 6.0, (1.3, 0.7, 1.2)),
    ("国画", ("desks", "art_supplies"), 5, 15, 4.0, (1.2, 0.8, 1.0)),
    ("智能手机应用", ("desks", "wifi"), 5, 25, 8.0, (2.0, 0.2, 0.1)),
    ("瑜伽", ("mats",), 6, 20, 5.0, (0.5, 2.0, 0.8)),
    ("乒乓球", ("table_tennis",), 4, 12, 4.0, (1.0, 1.2, 1.2)),
    ("烹饪", ("kitchen",), 5, 12, 3.0, (0.8, 1.3, 1.0)),
    ("英语口语", ("desks",), 5, 20, 3.0, (0.3, 1.5, 1.8)),
    ("少儿编程", ("computers",), 5, 15, 2.0, (0.0, 0.3, 3.0)),
    ("摄影", ("desks", "projector"), 5, 20, 2.0, (1.0, 1.3, 0.5)),
    ("茶艺", ("tea_room",), 5, 12, 2.0, (1.2, 1.0, 0.4)),
    ("手工编织", ("desks",), 5, 15, 3.0, (1.3, 0.6, 1.0)),
    ("民族舞", ("dance_room",), 6, 20, 4.0, (1.2, 1.0, 1.0)),
    ("健康养生讲座", ("desks", "projector"), 8, 40, 4.0, (1.8, 0.5, 0.3)),
    ("川剧", ("music_room", "dance_room"), 5, 15, 1.0, (1.5, 0.4, 0.6)),
    ("象棋围棋", ("desks",), 4, 16, 2.0, (1.3, 0.6, 1.2)),
    ("急救培训", ("desks", "projector"), 8, 30, 2.0, (0.8, 1.2, 1.0)),
)

# kind, facilities, capacities, opening profile, share of venues
VENUE_KINDS: tuple[tuple[str, tuple[str, ...], tuple[int, ...], str, float], ...] = (
    ("elderly_centre", ("desks", "tea_room", "mats", "open_space"), (15, 20, 30), "day", 0.25),
    ("civic_station", ("desks", "projector", "wifi", "music_room"), (20, 30, 40), "mixed", 0.25),
    ("company_room", ("desks", "wifi", "projector", "computers"), (12, 20, 30), "evening", 0.15),
    ("school_gym", ("open_space", "table_tennis", "mats", "dance_room"), (30, 40, 60), "evening", 0.10),
    (
        "cultural_centre",
        ("music_room", "dance_room", "desks", "projector", "wifi", "art_supplies"),
        (20, 30, 50),
        "all",
        0.10,
    ),
    ("community_kitchen", ("kitchen", "desks"), (10, 12, 15), "day", 0.07),
    ("square", ("open_space",), (60,), "all", 0.08),
)
EXTRA_FACILITIES = ("wifi", "projector", "mats", "desks", "tea_room", "art_supplies", "table_tennis")


def make_slots(n: int = 35) -> list[Slot]:
    """``n`` weekly slots spread over the week (at most 35: seven days of five windows)."""
    if not 1 <= n <= len(WEEKDAYS) * len(WINDOWS):
        raise ValueError(f"slots must be between 1 and {len(WEEKDAYS) * len(WINDOWS)}, got {n}")
    every = [(d, w) for d in range(len(WEEKDAYS)) for w in range(len(WINDOWS))]
    picked = sorted({every[i * len(every) // n] for i in range(n)})
    return [
        Slot(
            id=f"{WEEKDAYS[d]}-{WINDOWS[w][0].replace(':', '')}",
            weekday=d,
            start=WINDOWS[w][0],
            end=WINDOWS[w][1],
        )
        for d, w in picked
    ]


def _offset(rng: random.Random, lat: float, lon: float, sigma_km: float) -> tuple[float, float]:
    """A point scattered around (lat, lon) with a Gaussian of ``sigma_km`` on each axis."""
    dlat = rng.gauss(0.0, sigma_km) / 111.19
    dlon = rng.gauss(0.0, sigma_km) / (111.19 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _weighted_sample(rng: random.Random, items: Sequence[int], weights: Sequence[float], k: int) -> list[int]:
    """k distinct items drawn without replacement, proportionally to their weights."""
    pool = [(i, w) for i, w in zip(items, weights, strict=True) if w > 0]
    out: list[int] = []
    while pool and len(out) < k:
        total = sum(w for _, w in pool)
        x = rng.random() * total
        for j, (item, w) in enumerate(pool):
            x -= w
            if x <= 0 or j == len(pool) - 1:
                out.append(item)
                pool.pop(j)
                break
    return out


def generate(orders: int, teachers: int, venues: int, seed: int = 0, slots: int = 35) -> Instance:
    """A synthetic instance with the given numbers of orders, teachers, venues and weekly slots."""
    if orders < 0 or teachers < 0 or venues < 0:
        raise ValueError("counts must not be negative")
    rng = random.Random(seed)
    slot_list = make_slots(slots)
    n_slots = len(slot_list)
    weekday = [s.weekday < 5 for s in slot_list]
    evening = [s.start >= "19:00" for s in slot_list]
    late_afternoon = [s.start == "16:15" for s in slot_list]
    # Profiles list the slots their residents (or teachers) can come to.
    pools = {
        "retired": [
            i
            for i in range(n_slots)
            if (weekday[i] and not evening[i]) or (not weekday[i] and slot_list[i].start < "12:00")
        ],
        "working": [i for i in range(n_slots) if evening[i] or not weekday[i]],
        "family": [i for i in range(n_slots) if not weekday[i] or evening[i] or late_afternoon[i]],
    }
    for key, pool in pools.items():
        if not pool:
            pools[key] = list(range(n_slots))
    # Some slots are simply more popular (Tuesday morning tai chi, Saturday afternoon ...).
    slot_pop = [rng.gammavariate(2.0, 1.0) for _ in range(n_slots)]

    categories = [
        Category(id=i + 1, name=name, facilities=fac, min_size=lo, max_size=hi)
        for i, (name, fac, lo, hi, _, _) in enumerate(CATEGORIES)
    ]
    cat_ids = [c.id for c in categories]

    # Neighbourhoods: about one per 300 orders, at least 1.6 km apart where space allows.
    n_hoods = max(2, round(max(orders, 1) / 300))
    radius = 3.0 + 1.6 * math.sqrt(n_hoods)
    hoods: list[tuple[float, float, float, float]] = []  # lat, lon, size, spread
    for _ in range(n_hoods):
        for attempt in range(60):
            r = radius * math.sqrt(rng.random())
            a = rng.random() * 2 * math.pi
            lat = CENTRE[0] + r * math.sin(a) / 111.19
            lon = CENTRE[1] + r * math.cos(a) / (111.19 * math.cos(math.radians(CENTRE[0])))
            far = all(math.hypot((lat - h[0]) * 111.19, (lon - h[1]) * 96.7) >= 1.6 for h in hoods)
            if far or attempt == 59:
                break
        hoods.append((lat, lon, rng.lognormvariate(0.0, 0.6), rng.uniform(0.35, 0.7)))
    hood_sizes = [h[2] for h in hoods]
    hood_ids = list(range(n_hoods))

    def pick_hood(power: float = 1.0) -> tuple[float, float, float, float]:
        return hoods[_weighted_sample(rng, hood_ids, [s**power for s in hood_sizes], 1)[0]]

    # Residents and their orders.
    order_list: list[Order] = []
    resident = 500_000
    profiles = ("retired", "working", "family")
    while len(order_list) < orders:
        resident += 1
        p = _weighted_sample(rng, [0, 1, 2], [0.55, 0.30, 0.15], 1)[0]
        lat0, lon0, _, spread = pick_hood()
        lat, lon = _offset(rng, lat0, lon0, spread)
        n_orders = _weighted_sample(rng, [1, 2, 3], [0.70, 0.22, 0.08], 1)[0]
        tastes = [spec[4] * spec[5][p] for spec in CATEGORIES]
        pool = pools[profiles[p]]
        for rank, cat in enumerate(_weighted_sample(rng, cat_ids, tastes, n_orders)):
            if len(order_list) >= orders:
                break
            if rng.random() < 0.15:
                wanted: tuple[str, ...] = ()
            else:
                k = rng.randint(min(3, len(pool)), min(10, len(pool)))
                picked = _weighted_sample(rng, pool, [slot_pop[i] for i in pool], k)
                wanted = tuple(slot_list[i].id for i in sorted(picked))
            # Priority: a resident's first order, and more for the oldest residents.
            weight = 1.0
            if rank == 0 and rng.random() < 0.35:
                weight = 1.5
            if p == 0 and rng.random() < 0.08:
                weight = 2.0
            order_list.append(
                Order(
                    id=100_000 + len(order_list) + 1,
                    resident=resident,
                    category=cat,
                    lat=lat,
                    lon=lon,
                    slots=wanted,
                    weight=weight,
                )
            )

    # Venues: mostly inside neighbourhoods, roughly in proportion to their population.
    venue_list: list[Venue] = []
    kinds = list(range(len(VENUE_KINDS)))
    for i in range(venues):
        kind = VENUE_KINDS[_weighted_sample(rng, kinds, [k[4] for k in VENUE_KINDS], 1)[0]]
        lat0, lon0, _, spread = pick_hood(0.7)
        lat, lon = _offset(rng, lat0, lon0, spread * 1.2)
        facilities = [f for f in kind[1] if rng.random() < 0.85]
        if rng.random() < 0.2:
            extra = EXTRA_FACILITIES[rng.randrange(len(EXTRA_FACILITIES))]
            if extra not in facilities:
                facilities.append(extra)
        if kind[3] == "day":
            open_slots = [
                s for s in range(n_slots) if not evening[s] and (weekday[s] or slot_list[s].start < "12:00")
            ]
        elif kind[3] == "evening":
            open_slots = [s for s in range(n_slots) if evening[s] or not weekday[s]]
        elif kind[3] == "mixed":
            open_slots = [s for s in range(n_slots) if weekday[s] or slot_list[s].start < "17:00"]
        else:
            open_slots = list(range(n_slots))
        # Existing bookings take some of the opening hours.
        open_slots = [s for s in open_slots if rng.random() < 0.85]
        venue_list.append(
            Venue(
                id=i + 1,
                capacity=kind[2][rng.randrange(len(kind[2]))],
                facilities=tuple(sorted(facilities)),
                slots=tuple(slot_list[s].id for s in open_slots),
                lat=lat,
                lon=lon,
            )
        )

    # Teachers: grassroots teachers live in a neighbourhood and stay close; professionals travel.
    teacher_list: list[Teacher] = []
    popularity = [spec[4] for spec in CATEGORIES]
    for i in range(teachers):
        grassroots = rng.random() < 0.7
        if grassroots:
            lat0, lon0, _, _ = pick_hood()
            lat, lon = _offset(rng, lat0, lon0, 1.0)
            max_km = round(rng.uniform(2.0, 6.0), 1)
        else:
            lat, lon = _offset(rng, CENTRE[0], CENTRE[1], radius / 2)
            max_km = round(rng.uniform(8.0, 20.0), 1)
        skills = sorted(_weighted_sample(rng, cat_ids, popularity, rng.randint(1, 3)))
        pool = pools[profiles[_weighted_sample(rng, [0, 1, 2], [0.4, 0.4, 0.2], 1)[0]]]
        k = rng.randint(min(6, len(pool)), min(16, len(pool)))
        free = sorted(_weighted_sample(rng, pool, [1.0] * len(pool), k))
        teacher_list.append(
            Teacher(
                id=i + 1,
                skills=tuple(skills),
                slots=tuple(slot_list[s].id for s in free),
                max_sessions=(1, 2, 2, 3, 3, 4, 5, 6)[rng.randrange(8)],
                lat=lat,
                lon=lon,
                max_km=max_km,
            )
        )

    return Instance(
        max_walk_km=MAX_WALK_KM,
        slots=tuple(slot_list),
        categories=tuple(categories),
        orders=tuple(order_list),
        teachers=tuple(teacher_list),
        venues=tuple(venue_list),
    )


# --- other shapes ----------------------------------------------------------------------------------------
SHAPES = ("spread", "clustered", "scarce_skill", "narrow_hours")


def reshape(instance: Instance, shape: str, seed: int = 0) -> Instance:
    """The instance with one feature of real districts pushed to an extreme (the same seed, the same result):

    - ``spread``: unchanged, the generator's own shape;
    - ``clustered``: four residents in five live in four communities (around four venues), the rest stay put;
    - ``scarce_skill``: the most ordered interest is taught by two teachers only (the others lose it);
    - ``narrow_hours``: every venue opens in a third of its slots (a window of consecutive slots).
    """
    rng = random.Random(f"{shape}:{seed}")
    if shape == "spread":
        return instance
    if shape == "clustered":
        if not instance.venues:
            return instance
        centres = rng.sample(list(instance.venues), min(4, len(instance.venues)))
        moved: dict[int | None, tuple[float, float] | None] = {}
        orders = []
        for order in instance.orders:
            key = order.resident if order.resident is not None else -order.id
            if key not in moved:
                if rng.random() < 0.8:
                    centre = rng.choice(centres)
                    moved[key] = _offset(rng, centre.lat, centre.lon, 0.5)
                else:
                    moved[key] = None
            place = moved[key]
            orders.append(order if place is None else replace(order, lat=place[0], lon=place[1]))
        return replace(instance, orders=tuple(orders))
    if shape == "scarce_skill":
        demand: dict[int, int] = {}
        for order in instance.orders:
            demand[order.category] = demand.get(order.category, 0) + 1
        if not demand:
            return instance
        scarce = max(sorted(demand), key=lambda c: demand[c])
        skilled = [t.id for t in instance.teachers if scarce in t.skills]
        keep = set(rng.sample(skilled, min(2, len(skilled))))
        teachers = []
        for t in instance.teachers:
            if scarce in t.skills and t.id not in keep and len(t.skills) > 1:
                t = replace(t, skills=tuple(c for c in t.skills if c != scarce))
            elif scarce in t.skills and t.id not in keep:
                # Its only skill: it teaches the next most ordered interest instead.
                other = max((c for c in sorted(demand) if c != scarce), key=lambda c: demand[c], default=None)
                t = replace(t, skills=(other,) if other is not None else t.skills)
            teachers.append(t)
        return replace(instance, teachers=tuple(teachers))
    if shape == "narrow_hours":
        order_of = {s.id: i for i, s in enumerate(instance.slots)}
        venues = []
        for v in instance.venues:
            slots = sorted(v.slots, key=lambda s: order_of[s])
            width = max(1, len(slots) // 3)
            start = rng.randrange(0, len(slots) - width + 1) if slots else 0
            venues.append(replace(v, slots=tuple(slots[start : start + width])))
        return replace(instance, venues=tuple(venues))
    raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
