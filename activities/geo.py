"""Distances on the ground: the matching spec's haversine (R = 6371.0 km), one formula for the whole portal.

The pure matching core (`activities.matching.problem`) owns it, because it must run without Django; the
portal imports it from there so that "within walking distance" means the same on every page and in every
placement. The walking circle itself is `settings.WALKING_CIRCLE_KM` (see `walking_circle_km`).

It sits in activities rather than in the core (community_college), which imports no app: nothing below
activities measures distances.
"""

import math

from django.conf import settings

from activities.matching.problem import EARTH_RADIUS_KM, haversine_km

__all__ = ["EARTH_RADIUS_KM", "bounding_box", "haversine_km", "walking_circle_km"]


def walking_circle_km() -> float:
    """The 15-minute walking circle, as straight-line km: near-me, matching and incremental placement."""
    return float(settings.WALKING_CIRCLE_KM)


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """A lat/lon box that contains the circle of radius `km`, for an indexed pre-filter in SQL."""
    dlat = km / 111.195
    dlon = km / (111.195 * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
