"""A small town for the matching service: two communities on one street, a third on another street.

Places sit on a north-south line from a base point, so distances are plain kilometres. The term starts a
week from today and lasts nine weeks, so every test has the same number of meetings whatever the date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.enums import Role
from activities import orders as order_services
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course, Registration, WeeklySlot
from community_college.models import Weekday
from interests.models import ResidentAvailability
from teachers.models import TeacherAvailability, TeacherSkill
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    DistrictFactory,
    FacilityFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    StreetFactory,
    TeacherFactory,
    TermFactory,
    UserFactory,
    VenueFactory,
)
from venues.models import OpeningHours

BASE_LAT, BASE_LON = 29.6, 106.5
KM_PER_DEGREE = 6371.0 * math.pi / 180
WEEKS = 9


def north(km: float) -> dict[str, float]:
    return {"latitude": BASE_LAT + km / KM_PER_DEGREE, "longitude": BASE_LON}


@dataclass
class Town:
    district: object
    street: object
    other_street: object
    a: object  # community on `street`
    b: object  # community on `street`, 5 km north
    c: object  # community on `other_street`, 30 km north
    term: object
    mon: WeeklySlot
    tue: WeeklySlot
    wed_evening: WeeklySlot
    staff_a: object
    staff_b: object
    street_staff: object
    other_street_staff: object
    district_office: object
    superuser: object

    @property
    def first_day(self):
        return self.term.starts_on

    def mondays(self) -> int:
        """Mondays in the term: the meetings of a class in `mon`."""
        day, n = self.term.starts_on, 0
        while day <= self.term.ends_on:
            n += day.weekday() == 0
            day += timedelta(days=1)
        return n


@pytest.fixture
def town(db) -> Town:
    district = DistrictFactory()
    street, other_street = StreetFactory(district=district), StreetFactory(district=district)
    a = CommunityFactory(street=street, **north(0))
    b = CommunityFactory(street=street, **north(5))
    c = CommunityFactory(street=other_street, **north(30))
    start = timezone.localdate() + timedelta(days=7)
    term = TermFactory(starts_on=start, ends_on=start + timedelta(weeks=WEEKS) - timedelta(days=1))
    mon = WeeklySlot.objects.create(code="mon-0900", weekday=Weekday.MONDAY, start=time(9), end=time(10, 30))
    tue = WeeklySlot.objects.create(code="tue-0900", weekday=Weekday.TUESDAY, start=time(9), end=time(10, 30))
    wed = WeeklySlot.objects.create(
        code="wed-1900", weekday=Weekday.WEDNESDAY, start=time(19), end=time(20, 30)
    )
    return Town(
        district=district,
        street=street,
        other_street=other_street,
        a=a,
        b=b,
        c=c,
        term=term,
        mon=mon,
        tue=tue,
        wed_evening=wed,
        staff_a=StaffFactory(role=Role.COMMUNITY_STAFF, community=a, name="社工甲"),
        staff_b=StaffFactory(role=Role.COMMUNITY_STAFF, community=b, name="社工乙"),
        street_staff=StaffFactory(role=Role.STREET_STAFF, street=street, name="街道干部"),
        other_street_staff=StaffFactory(role=Role.STREET_STAFF, street=other_street, name="外街道干部"),
        district_office=StaffFactory(role=Role.DISTRICT_OFFICE, district=district, name="区办"),
        superuser=UserFactory(is_staff=True, is_superuser=True, name="超级管理员"),
    )


def resident(community, km: float | None = None, free=()):
    """A resident of `community` living `km` north of the base (the community's centre by default)."""
    where = (
        north(km) if km is not None else {"latitude": community.latitude, "longitude": community.longitude}
    )
    user = ResidentFactory(
        profile__community=community,
        profile__latitude=where["latitude"],
        profile__longitude=where["longitude"],
    )
    for weekday, start, end in free:
        ResidentAvailability.objects.create(profile=user.profile, weekday=weekday, start=start, end=end)
    return user


def accepted(user, category, staff=None, preferred=()):
    """An order placed and accepted (接单) through the services."""
    order = order_services.order_place(resident=user, category=category)
    if preferred:
        order.preferred_slots.set(preferred)
    community_staff = staff or StaffFactory(role=Role.COMMUNITY_STAFF, community=user.profile.community)
    return order_services.order_accept(order=order, actor=community_staff)


def orders(n, community, category, km: float = 0.2, staff=None, **kwargs):
    return [accepted(resident(community, km=km, **kwargs), category, staff) for _ in range(n)]


def teacher(
    skills,
    *,
    windows=((Weekday.MONDAY, time(8), time(12)),),
    km: float = 0.0,
    max_weekly=3,
    max_km=10.0,
    **kwargs,
):
    t = TeacherFactory(max_weekly_sessions=max_weekly, max_travel_km=max_km, **north(km), **kwargs)
    for category in skills:
        TeacherSkill.objects.create(teacher=t, category=category)
    for weekday, start, end in windows:
        TeacherAvailability.objects.create(teacher=t, weekday=weekday, start=start, end=end)
    return t


def venue(
    community,
    *,
    km: float | None = None,
    facilities=(),
    hours=((Weekday.MONDAY, time(8), time(21)),),
    **kwargs,
):
    where = (
        north(km) if km is not None else {"latitude": community.latitude, "longitude": community.longitude}
    )
    v = VenueFactory(community=community, **where, **kwargs)
    v.facilities.set([FacilityFactory(code=code, name=code) for code in facilities])
    for weekday, start, end in hours:
        OpeningHours.objects.create(venue=v, weekday=weekday, start=start, end=end)
    return v


def category(name="瑜伽", min_size=3, max_size=10, facilities=()):
    cat = CategoryFactory(name=name, min_size=min_size, max_size=max_size)
    cat.facilities.set([FacilityFactory(code=code, name=code) for code in facilities])
    return cat


@dataclass
class Yoga:
    """Four residents of community A want yoga; one teacher and one mirrored room can give it on Mondays."""

    category: object
    orders: list
    teacher: object
    venue: object


@pytest.fixture
def yoga(town) -> Yoga:
    cat = category("瑜伽", min_size=3, max_size=10, facilities=("dance_mirror",))
    placed = orders(4, town.a, cat, staff=town.staff_a)
    return Yoga(
        category=cat,
        orders=placed,
        teacher=teacher([cat], km=1.0, name="王老师"),
        venue=venue(town.a, facilities=("dance_mirror",), name="文明实践站"),
    )


def proposal_for_node(node):
    """Rows of a stored proposal for a community of the admin tests' world (`tests.admin.helpers.Node`).

    A community run with one proposed class that holds the node's order, and the same order listed as
    unplaced, so that every matching admin has a row on each side of the border. Written directly: these
    are fixtures for the admin's scoping, not a run of the service (tests/dispatch covers that).
    """
    from activities.models import MatchRun, ProposedClass, ProposedPlacement, UnassignedOrder
    from tests.factories import WeeklySlotFactory

    term = TermFactory(district=node.community.street.district)
    run = MatchRun.objects.create(scope="community", community=node.community, term=term)
    proposed = ProposedClass.objects.create(
        run=run,
        category=node.order.category,
        teacher=node.teacher,
        venue=node.venue,
        slot=WeeklySlotFactory(),
        term=term,
        community=node.community,
        size=1,
    )
    ProposedPlacement.objects.create(proposed_class=proposed, order=node.order)
    UnassignedOrder.objects.create(
        run=run, order=node.order, community=node.community, category=node.order.category, reason="no_teacher"
    )
    # A near miss with its order, and the order's waiting notice (issue 22).
    from activities.models import NearMiss, NearMissMember, WaitingNotice

    near = NearMiss.objects.create(
        run=run,
        relaxation="smaller",
        category=node.order.category,
        community=node.community,
        venue=node.venue,
        slot=proposed.slot,
        teacher=node.teacher,
        needed=3,
        min_size=2,
    )
    NearMissMember.objects.create(near_miss=near, order=node.order)
    WaitingNotice.objects.create(order=node.order)
    return run


def open_class(town, cat, *, km: float = 0.0, community=None, slot=None, capacity=10, taken=0, **kwargs):
    """An open class of `cat` at a venue `km` north of the base, meeting weekly in `slot` (Monday 9:00)."""
    community = community or town.a
    room = venue(community, km=km)
    course = CourseFactory(
        category=cat,
        community=community,
        venue=room,
        slot=slot or town.mon,
        term=town.term,
        capacity=capacity,
        **{"status": CourseStatus.OPEN, **kwargs},
    )
    SessionFactory(course=course, venue=room, starts_at=timezone.now() + timedelta(days=8))
    for _ in range(taken):
        Registration.objects.create(
            course=course, resident=ResidentFactory(), status=RegistrationStatus.CONFIRMED
        )
    Course.objects.filter(pk=course.pk).update(confirmed_count=taken)
    course.refresh_from_db()
    return course
