"""Demo data, places stage: Venues of every owner type, their facilities and opening hours.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import accumulate

from .base import _Community, _Venue, _weighted
from .data import COMPANY_CORE, COMPANY_PREFIX, COMPANY_ROOM, PARKS, ROADS, STREETS, VENUE_KINDS


class PlacesStages:
    def stage_venues(self) -> None:
        from venues.models import OpeningHours, Venue

        rng = self.rng
        kinds = list(VENUE_KINDS)
        kind_cum = list(accumulate(VENUE_KINDS[k].weight for k in kinds))
        n_comm = len(self.communities)
        # Every community has its service centre; then one venue of each other owner type; then by weight.
        plan = [("community_centre", c) for c in range(n_comm)]
        plan += [(k, _weighted(rng, self.community_cum)) for k in kinds if k != "community_centre"]
        while len(plan) < self.scale.venues:
            plan.append((kinds[_weighted(rng, kind_cum)], _weighted(rng, self.community_cum)))
        plan = plan[: max(self.scale.venues, n_comm + len(kinds) - 1)]
        venues, facility_rows, hours, infos = [], [], [], []
        per_kind = defaultdict(int)
        for kind, ci in plan:
            c = self.communities[ci]
            spec = VENUE_KINDS[kind]
            per_kind[kind, ci] += 1
            name = self._venue_name(kind, c, per_kind[kind, ci])
            lat, lon = self.jitter(
                c.lat, c.lon, 0.006 if kind in ("square_park", "school", "enterprise") else 0.003
            )
            facilities = set(spec.always) | {f for f, p in spec.optional.items() if rng.random() < p}
            capacity = rng.randrange(spec.capacity[0], spec.capacity[1] + 1, 5)
            owner = {
                "enterprise": name.split("·")[0],
                "school": name.removesuffix(f"（{per_kind[kind, ci]}）"),
                "square_park": "两江新区城市管理局",
                "culture_centre": "两江新区文化旅游局",
            }.get(kind, f"{c.name}居民委员会")
            venue = Venue(
                name=name,
                owner_type=kind,
                owner_name=owner,
                community_id=c.id,
                address=f"重庆市{self.district_spec[0]}{STREETS[c.street_idx][0]}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                capacity=capacity,
                requires_confirmation=rng.random() < spec.requires_confirmation,
                contact_name=self.name(),
                contact_phone=self.phone(),
                latitude=lat,
                longitude=lon,
            )
            venues.append(venue)
            open_slots = [
                s
                for s, slot in enumerate(self.slots)
                if any(
                    slot.weekday in days and any(a <= slot.start and slot.end <= b for a, b in windows)
                    for days, windows in spec.hours
                )
            ]
            infos.append((venue, ci, lat, lon, capacity, frozenset(facilities), open_slots, spec))
        self.insert(Venue, venues)
        self.venues: list[_Venue] = []
        for venue, ci, lat, lon, capacity, facilities, open_slots, spec in infos:
            self.venues.append(
                _Venue(venue.pk, ci, lat, lon, capacity, facilities, venue.requires_confirmation, open_slots)
            )
            self.communities[ci].venues.append(len(self.venues) - 1)
            facility_rows += [
                Venue.facilities.through(venue_id=venue.pk, facility_id=self.facility_ids[f])
                for f in sorted(facilities)
            ]
            for days, windows in spec.hours:
                hours += [
                    OpeningHours(venue_id=venue.pk, weekday=d, start=a, end=b)
                    for d in days
                    for a, b in windows
                ]
        self.insert_all((Venue.facilities.through, facility_rows), (OpeningHours, hours))


    def _venue_name(self, kind: str, c: _Community, nth: int) -> str:
        rng = self.rng
        short = c.name.removesuffix("社区")
        street = STREETS[c.street_idx][0]
        suffix = "" if nth == 1 else f"（{nth}）"
        if kind == "community_centre":
            return f"{c.name}党群服务中心{suffix}"
        if kind == "elderly_care":
            return f"{c.name}养老服务中心{suffix}" if nth == 1 else f"{short}社区日间照料中心{suffix}"
        if kind == "civic_practice":
            return f"{c.name}新时代文明实践站{suffix}" if nth == 1 else f"{street}新时代文明实践所{suffix}"
        if kind == "enterprise":
            company = f"重庆{rng.choice(COMPANY_PREFIX)}{rng.choice(COMPANY_CORE)}科技有限公司"
            return f"{company}·{rng.choice(COMPANY_ROOM)}"
        if kind == "school":
            return f"重庆两江新区{short}{rng.choice(['小学', '中学', '实验学校'])}{suffix}"
        if kind == "culture_centre":
            return f"{street}综合文化服务中心{suffix}"
        return (
            f"{short}{rng.choice(['文化广场', '体育公园', '社区公园'])}"
            if nth == 1
            else f"{rng.choice(PARKS)}{suffix}"
        )
