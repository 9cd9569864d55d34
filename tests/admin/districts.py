"""Two districts of one city, each with a community holding one of everything (`make_node`), its own terms,
departments and teacher without a home community, a district office, and above them a city office.

Every row of a district carries its district's marker in a name that lists, exports and autocomplete show
(两江 / ljmark for the first district, 渝北 / ybmark for the second), so that a page of one district's office
that shows any of the other's markers has leaked.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.enums import Role
from accounts.models import City, RoleAssignment
from activities.models import Course
from interests.models import InterestGroup
from teachers.models import Teacher
from tests.factories import (
    CommunityFactory,
    DepartmentFactory,
    DistrictFactory,
    FacilityFactory,
    StaffFactory,
    StreetFactory,
    TermFactory,
    UserFactory,
    WeeklySlotFactory,
)
from venues.models import Venue

from .helpers import Node, make_node

MARKERS = {"lj": ("两江", "ljmark"), "yb": ("渝北", "ybmark")}


@dataclass
class Side:
    """One district: its node, its reference rows and its staff."""

    district: object
    node: Node
    term: object
    department: object
    lone_teacher: object  # a teacher without a home community, in the district's pool
    office: object  # the district office
    community_staff: object
    markers: tuple[str, str]


@dataclass
class Cities:
    lj: Side
    yb: Side
    city: object
    city_office: object
    superuser: object

    def other(self, side: Side) -> Side:
        return self.yb if side is self.lj else self.lj


def _side(key: str, district) -> Side:
    name, code = MARKERS[key]
    street = StreetFactory(district=district, name=f"{name}街道", code=f"{code}-street")
    node = make_node(CommunityFactory(street=street, name=f"{name}社区", code=f"{code}-c"))
    # Names a changelist, an export or an autocomplete answer shows, marked with the district.
    Teacher.objects.filter(pk=node.teacher.pk).update(name=f"{name}老师")
    Venue.objects.filter(pk=node.venue.pk).update(name=f"{name}活动室")
    Course.objects.filter(pk=node.course.pk).update(title=f"{name}太极班")
    InterestGroup.objects.filter(pk=node.group.pk).update(name=f"{name}合唱队")
    lone = Teacher.objects.create(
        name=f"{name}专家",
        source="volunteer_team",
        kind="professional",
        district=district,
        latitude=29.6,
        longitude=106.5,
    )
    return Side(
        district=district,
        node=node,
        term=TermFactory(district=district, name=f"{name}2026秋季学期"),
        department=DepartmentFactory(district=district, name=f"{name}宣传部"),
        lone_teacher=lone,
        office=StaffFactory(role=Role.DISTRICT_OFFICE, district=district, name=f"{name}区办"),
        community_staff=StaffFactory(role=Role.COMMUNITY_STAFF, community=node.community, name=f"{name}社工"),
        markers=(name, code),
    )


def build_cities() -> Cities:
    lj = _side("lj", DistrictFactory())  # the factories' default district, 两江新区
    city = lj.district.city
    yb = _side("yb", DistrictFactory(name="渝北区", code="yubei", city=city))
    FacilityFactory()
    WeeklySlotFactory()
    office = UserFactory(is_staff=True, name="市办")
    RoleAssignment.objects.create(user=office, role=Role.CITY_OFFICE, city=city)
    assert City.objects.count() == 1
    return Cities(
        lj=lj,
        yb=yb,
        city=city,
        city_office=office,
        superuser=UserFactory(is_staff=True, is_superuser=True, name="超级管理员"),
    )


def leaked(text: str, side: Side) -> list[str]:
    """The markers of `side` found in `text`, each with a little of the text around it (to find the leak)."""
    found = []
    for marker in side.markers:
        at = text.find(marker)
        if at >= 0:
            found.append(f"{marker}: …{text[max(0, at - 120) : at + 40]}…")
    return found
