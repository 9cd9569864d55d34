"""Two districts of one city, each with a street, two communities and its office (issue 18, shared on purpose)."""

from dataclasses import dataclass

import pytest

from accounts.enums import Role
from accounts.models import City, RoleAssignment
from tests.factories.accounts import (
    CommunityFactory,
    DistrictFactory,
    StaffFactory,
    StreetFactory,
    UserFactory,
)


@dataclass
class City2:
    city: object
    d1: object
    d2: object
    c1: object  # a community of d1
    c1b: object
    c2: object  # a community of d2
    c2b: object
    office1: object
    office2: object
    city_office: object


@pytest.fixture
def two_districts(db):
    city = City.objects.get_or_create(
        code="chongqing", defaults={"name": "重庆市", "latitude": 29.56, "longitude": 106.55}
    )[0]
    d1 = DistrictFactory(city=city, name="两江新区", code="liangjiang", latitude=29.65, longitude=106.55)
    d2 = DistrictFactory(city=city, name="渝中区", code="yuzhong", latitude=29.55, longitude=106.57)
    s1, s2 = StreetFactory(district=d1), StreetFactory(district=d2, latitude=29.55, longitude=106.57)
    c1, c1b = CommunityFactory(street=s1), CommunityFactory(street=s1)
    c2 = CommunityFactory(street=s2, latitude=29.55, longitude=106.57)
    c2b = CommunityFactory(street=s2, latitude=29.55, longitude=106.57)
    city_office = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=city_office, role=Role.CITY_OFFICE, city=city)
    return City2(
        city=city,
        d1=d1,
        d2=d2,
        c1=c1,
        c1b=c1b,
        c2=c2,
        c2b=c2b,
        office1=StaffFactory(role=Role.DISTRICT_OFFICE, district=d1),
        office2=StaffFactory(role=Role.DISTRICT_OFFICE, district=d2),
        city_office=city_office,
    )
