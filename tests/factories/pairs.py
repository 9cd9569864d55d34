"""Two of everything: the rows a service must leave alone when it is asked about one of them.

A service that selects or updates rows by id can lose its `pk=` (or `course_id=`, or `community_id=`)
condition and still pass every test that has one class in the database. `two_of_everything()` builds a
district with two communities, each with its own staff, venue and classes, so a test can act on one row
and then assert with `snapshot()` that every other row is exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.enums import Role

from .accounts import CommunityFactory, DistrictFactory, ResidentFactory, StaffFactory, StreetFactory
from .activities import CourseFactory
from .interests import CategoryFactory, InterestGroupFactory
from .venues import VenueFactory


@dataclass
class Pair:
    """Community `a` holds classes `a1` and `a2` and venue `venue_a`; community `b` holds `b1`, `venue_b`."""

    district: object
    a: object
    b: object
    staff_a: object
    staff_b: object
    street_staff: object  # the street of both communities
    venue_a: object
    venue_b: object
    a1: object
    a2: object
    b1: object
    group_a: object
    group_b: object

    def resident(self, community=None):
        """A new resident of `community` (`a` by default)."""
        return ResidentFactory(profile__community=community or self.a)

    @property
    def courses(self):
        return (self.a1, self.a2, self.b1)


def two_of_everything(*, capacity: int = 2) -> Pair:
    """Two communities on one street, two classes in `a` and one in `b` (each with `capacity` places),
    one venue and one interest group in each community."""
    district = DistrictFactory()
    street = StreetFactory(district=district)
    a, b = CommunityFactory(street=street), CommunityFactory(street=street)
    return Pair(
        district=district,
        a=a,
        b=b,
        staff_a=StaffFactory(role=Role.COMMUNITY_STAFF, community=a),
        staff_b=StaffFactory(role=Role.COMMUNITY_STAFF, community=b),
        street_staff=StaffFactory(role=Role.STREET_STAFF, street=street),
        venue_a=VenueFactory(community=a, capacity=12),
        venue_b=VenueFactory(community=b, capacity=40),
        a1=CourseFactory(community=a, capacity=capacity, category=CategoryFactory()),
        a2=CourseFactory(community=a, capacity=capacity, category=CategoryFactory()),
        b1=CourseFactory(community=b, capacity=capacity, category=CategoryFactory()),
        group_a=InterestGroupFactory(community=a),
        group_b=InterestGroupFactory(community=b),
    )


def snapshot(queryset, *fields: str) -> dict:
    """Each row's `fields` by primary key, to compare before and after a service call."""
    return {row["pk"]: row for row in queryset.order_by("pk").values("pk", *fields)}
