"""Ranking classes and groups for one resident: pure functions, no ORM, shared by the portal and the digest.

A candidate scores on four signals, each in [0, 1] and weighted:
interest (their chosen interests, and interests near them in the tree), time (the class meets while they
are free), distance (inside the 15-minute walking circle scores highest), and experience (their past
attendance and ratings in the same field). Each result carries the one signal that contributed most, so
the page and the notice can say in one line why it was chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import time

from activities.geo import haversine_km

WEIGHTS = {"interest": 0.45, "time": 0.2, "distance": 0.25, "experience": 0.1}


@dataclass(frozen=True)
class Candidate:
    key: object
    category_id: int
    field_id: int | None  # the category's parent: 太极拳 → 体育健身
    latitude: float | None
    longitude: float | None
    weekday: int | None = None
    start: time | None = None
    end: time | None = None
    popularity: float = 0.0  # 0..1, for example the share of places taken


@dataclass(frozen=True)
class Taste:
    """What we know of a resident, only from what they consented to share."""

    interest_ids: frozenset[int] = frozenset()
    field_ids: frozenset[int] = frozenset()
    free: tuple[tuple[int, time, time], ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    # category id → mean stars the resident gave there (attended sessions only)
    liked: dict[int, float] = field(default_factory=dict)
    walking_km: float = 1.2


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    distance_km: float | None
    reason: str  # one of "interest", "field", "time", "distance", "experience", "popular"


def distance_km(candidate: Candidate, taste: Taste) -> float | None:
    if None in (candidate.latitude, candidate.longitude, taste.latitude, taste.longitude):
        return None
    return haversine_km(taste.latitude, taste.longitude, candidate.latitude, candidate.longitude)


def _signals(candidate: Candidate, taste: Taste, km: float | None) -> dict[str, float]:
    if candidate.category_id in taste.interest_ids:
        interest = 1.0
    elif candidate.field_id is not None and candidate.field_id in taste.field_ids:
        interest = 0.4
    else:
        interest = 0.0
    if candidate.weekday is None or not taste.free:
        fits = 0.5  # unknown either way: neither reward nor punish
    else:
        fits = float(
            any(
                day == candidate.weekday and start <= candidate.start and candidate.end <= end
                for day, start, end in taste.free
            )
        )
    if km is None:
        near = 0.0
    elif km <= taste.walking_km:
        near = 1.0
    else:
        # Beyond the walking circle interest fades quickly: half at twice the distance.
        near = 0.5 * taste.walking_km / km
    stars = taste.liked.get(candidate.category_id)
    experience = 0.0 if stars is None else (stars - 1) / 4
    return {"interest": interest, "time": fits, "distance": near, "experience": experience}


def _reason(signals: dict[str, float], candidate: Candidate) -> str:
    if signals["interest"] == 1.0:
        return "interest"
    if signals["experience"] >= 0.75:
        return "experience"
    if signals["interest"] > 0:
        return "field"
    if signals["time"] == 1.0:
        return "time"
    if signals["distance"] == 1.0:
        return "distance"
    return "popular"


def rank(candidates: Iterable[Candidate], taste: Taste, *, personalised: bool = True) -> list[Ranked]:
    """Best first. Without consent to personalisation, the order is the same for every resident:
    popularity, then the candidate's key (stable), and no reason drawn from the profile."""
    results: list[Ranked] = []
    for candidate in candidates:
        km = distance_km(candidate, taste) if personalised else None
        if not personalised:
            results.append(Ranked(candidate, candidate.popularity, None, "popular"))
            continue
        signals = _signals(candidate, taste, km)
        score = sum(WEIGHTS[name] * value for name, value in signals.items()) + 0.01 * candidate.popularity
        results.append(Ranked(candidate, round(score, 6), km, _reason(signals, candidate)))
    results.sort(key=lambda r: (-r.score, r.distance_km if r.distance_km is not None else 1e9, str(r.candidate.key)))
    return results


def circle_first(ranked: Sequence[Ranked], walking_km: float) -> list[Ranked]:
    """Classes inside the walking circle first, nearest first (at the same distance, the better
    recommendation); then the rest in recommendation order.

    The page promises classes "within a 15-minute walk": a class 2.5 km away, however well it fits,
    must not sit above one next door.
    """
    inside = [r for r in ranked if r.distance_km is not None and r.distance_km <= walking_km]
    outside = [r for r in ranked if r.distance_km is None or r.distance_km > walking_km]
    inside.sort(key=lambda r: (r.distance_km, -r.score, str(r.candidate.key)))
    return inside + outside


def top(ranked: Sequence[Ranked], n: int) -> list[Ranked]:
    return list(ranked[:n])
