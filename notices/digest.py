"""Choosing the items of one resident's weekly digest: pure functions over the recommender.

`activities.recommend.rank` scores interest, free time, distance and the resident's ratings. The digest adds
one signal the portal's page does not have: past attendance. Categories the resident has attended count
as interests (and their fields as fields), and an item chosen only because of them is explained as
"you have been to … classes before" rather than "matches your interest".

Which items a digest holds:

- personalised (consent_recommendations): new classes and groups within SEARCH_RADIUS_KM of home (or in the
  home street when the home has no location), ranked; only items with a reason drawn from the profile
  (interest, attendance, ratings, field, free time) are kept — nearness alone is not a reason to write
  to someone. At most NOTICES_DIGEST_ITEMS.
- non-personalised: new classes and groups of the home street, ranked without the profile (by how many
  places are taken, then a stable order): the same list for everyone in the street.
- nothing to say → no digest that week.

`CandidateIndex` buckets candidates on a 0.05° grid (about 5.5 km) so a batch of hundreds of residents
looks only at the cells around each home, not at every new class of the district.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from activities.geo import bounding_box
from activities.recommend import Candidate, Ranked, Taste, rank

CELL_DEGREES = 0.05
PROFILE_REASONS = frozenset({"interest", "attended", "experience", "field", "time"})


@dataclass(frozen=True)
class Item:
    """A digest candidate: the recommender's Candidate plus where it is (street) for the plain digest."""

    candidate: Candidate
    street_id: int | None


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)


class CandidateIndex:
    def __init__(self, items: Iterable[Item]):
        self.items = list(items)
        self._cells: dict[tuple[int, int], list[Item]] = defaultdict(list)
        self._streets: dict[int | None, list[Item]] = defaultdict(list)
        for item in self.items:
            c = item.candidate
            if c.latitude is not None and c.longitude is not None:
                self._cells[_cell(c.latitude, c.longitude)].append(item)
            self._streets[item.street_id].append(item)

    def __len__(self) -> int:
        return len(self.items)

    def near(self, lat: float, lon: float, km: float) -> list[Item]:
        """The items in the box around the circle of `km` around (lat, lon); rank() measures exactly."""
        south, north, west, east = bounding_box(lat, lon, km)
        (row_lo, col_lo), (row_hi, col_hi) = _cell(south, west), _cell(north, east)
        found: list[Item] = []
        for row in range(row_lo, row_hi + 1):
            for col in range(col_lo, col_hi + 1):
                for item in self._cells.get((row, col), ()):
                    c = item.candidate
                    if south <= c.latitude <= north and west <= c.longitude <= east:
                        found.append(item)
        return found

    def in_street(self, street_id: int | None) -> list[Item]:
        return list(self._streets.get(street_id, ())) if street_id is not None else []


def _fits_free_time(c: Candidate, taste: Taste) -> bool:
    return c.weekday is not None and any(
        day == c.weekday and start <= c.start and c.end <= end for day, start, end in taste.free
    )


def rank_with_attendance(
    candidates: Sequence[Candidate],
    taste: Taste,
    *,
    attended: frozenset[int] = frozenset(),
    attended_fields: frozenset[int] = frozenset(),
) -> list[Ranked]:
    """`rank`, with the categories the resident has attended counted as interests."""
    boosted = replace(
        taste, interest_ids=taste.interest_ids | attended, field_ids=taste.field_ids | attended_fields
    )
    ranked = rank(candidates, boosted, personalised=True)
    return [
        replace(r, reason=_history_reason(r.candidate.category_id, taste))
        if r.reason == "interest" and r.candidate.category_id not in taste.interest_ids
        else r
        for r in ranked
    ]


def _history_reason(category_id: int, taste: Taste) -> str:
    # Attended and rated four or five stars says more than attended: the recommender's own threshold.
    return "experience" if taste.liked.get(category_id, 0) >= 4 else "attended"


def choose(
    index: CandidateIndex,
    *,
    taste: Taste,
    personalised: bool,
    street_id: int | None,
    radius_km: float,
    limit: int,
    attended: frozenset[int] = frozenset(),
    attended_fields: frozenset[int] = frozenset(),
    exclude: frozenset[str] = frozenset(),
) -> list[Ranked]:
    """The digest's items for one resident, best first (see the module docstring for the rules)."""
    if personalised:
        if taste.latitude is not None and taste.longitude is not None:
            pool = index.near(taste.latitude, taste.longitude, radius_km)
        else:
            pool = index.in_street(street_id)
        # Only candidates that can earn a profile reason are ranked: with a few hundred new classes near a
        # home, this keeps the batch's ranking to the handful that matter (the result is the same).
        interests = taste.interest_ids | attended | {c for c, stars in taste.liked.items() if stars >= 4}
        fields = taste.field_ids | attended_fields
        candidates = [
            c
            for c in (item.candidate for item in pool)
            if c.key not in exclude
            and (c.category_id in interests or c.field_id in fields or _fits_free_time(c, taste))
        ]
        ranked = rank_with_attendance(candidates, taste, attended=attended, attended_fields=attended_fields)
        kept = [
            r
            for r in ranked
            if r.reason in PROFILE_REASONS and (r.distance_km is None or r.distance_km <= radius_km)
        ]
        return kept[:limit]
    pool = index.in_street(street_id)
    candidates = [item.candidate for item in pool if item.candidate.key not in exclude]
    return rank(candidates, Taste(), personalised=False)[:limit]
