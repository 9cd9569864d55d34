"""Fixtures of the dashboard tests: a small district with a user of every role, and a builder of activity.

Pages are read in English: the strings are English in the source, and Chinese comes from the catalogue the
lead fills, which must not make these tests depend on its progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone, translation

from accounts.enums import Role
from accounts.models import RoleAssignment
from activities.enums import PolicyTalkStatus, SessionStatus
from activities.models import Attendance
from community_college.models import Weekday
from interests.enums import OrderStatus
from tests.factories import (
    BookingFactory,
    CategoryFactory,
    CollegeFactory,
    CommunityFactory,
    CourseFactory,
    DepartmentFactory,
    DistrictFactory,
    InterestGroupFactory,
    OrderFactory,
    PolicyTalkFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    StaffFactory,
    StreetFactory,
    TeacherFactory,
    TeacherSkillFactory,
    UserFactory,
    VenueFactory,
)
from venues.models import OpeningHours

BACKEND = "accounts.backends.PhoneOrEmailBackend"


@pytest.fixture(autouse=True)
def _explicit_rollups(settings):
    # Tests build the roll-ups themselves; the on-demand refresh (development without beat) stays off.
    settings.DASHBOARDS_REFRESH_ON_DEMAND = False


@pytest.fixture(autouse=True)
def _default_star_standard(request):
    """The published default standard comes from a data migration, which a transactional test anywhere
    earlier in the run flushes away; put it back (idempotently) for every database test here."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from importlib import import_module

    from django.apps import apps

    import_module("dashboards.migrations.0002_default_standard").publish_default(apps, None)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@dataclass
class World:
    district: object
    street_a: object
    street_b: object
    a1: object  # communities a1, a2 on street A; b1 on street B
    a2: object
    b1: object
    superuser: object
    district_office: object
    street_staff: object
    community_staff: object
    resident: object
    teacher: object
    liaison: object

    @property
    def communities(self):
        return [self.a1, self.a2, self.b1]


@pytest.fixture
def world(db) -> World:
    district = DistrictFactory()
    street_a, street_b = StreetFactory(district=district, name="A街道"), StreetFactory(district=district, name="B街道")
    a1 = CommunityFactory(street=street_a, name="甲一社区", population=10_000, latitude=29.60, longitude=106.50)
    a2 = CommunityFactory(street=street_a, name="甲二社区", population=5_000, latitude=29.61, longitude=106.51)
    b1 = CommunityFactory(street=street_b, name="乙一社区", population=8_000, latitude=29.70, longitude=106.60)
    for community in (a1, a2, b1):
        CollegeFactory(community=community, name=f"{community.name}学院")
    teacher = UserFactory(name="老师")
    RoleAssignment.objects.create(user=teacher, role=Role.TEACHER)
    liaison = UserFactory(name="联络员")
    RoleAssignment.objects.create(user=liaison, role=Role.DEPARTMENT_LIAISON, department=DepartmentFactory(district=district))
    return World(
        district=district,
        street_a=street_a,
        street_b=street_b,
        a1=a1,
        a2=a2,
        b1=b1,
        superuser=UserFactory(is_staff=True, is_superuser=True, name="超级管理员"),
        district_office=StaffFactory(role=Role.DISTRICT_OFFICE, district=district, name="区办"),
        street_staff=StaffFactory(role=Role.STREET_STAFF, street=street_a, name="街道"),
        community_staff=StaffFactory(role=Role.COMMUNITY_STAFF, community=a1, name="社区"),
        resident=ResidentFactory(profile__community=a1, name="居民"),
        teacher=teacher,
        liaison=liaison,
    )


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user, backend=BACKEND)
        return client

    return _login


def local(day, hour: int = 9, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def populate(community, *, units: int = 1, day=None, residents_per_session: int = 3) -> None:
    """`units` times: an interest with a teacher, a venue open on Mondays, a class that met on `day`
    (default yesterday) with residents present and rating it, a policy talk, a booking, a group, and
    orders at every step of the loop. Enough for every page and indicator to have something to show."""
    day = day or timezone.localdate() - timedelta(days=1)
    for _ in range(units):
        category = CategoryFactory()
        teacher = TeacherFactory(community=community)
        TeacherSkillFactory(teacher=teacher, category=category)
        venue = VenueFactory(community=community)
        OpeningHours.objects.create(venue=venue, weekday=Weekday.MONDAY, start=time(8), end=time(12))
        course = CourseFactory(community=community, category=category, teacher=teacher)
        session = SessionFactory(
            course=course, venue=venue, starts_at=local(day), ends_at=local(day, 10, 30), status=SessionStatus.HELD
        )
        BookingFactory(venue=venue, session=session, starts_at=session.starts_at, ends_at=session.ends_at)
        PolicyTalkFactory(session=session, status=PolicyTalkStatus.HELD)
        InterestGroupFactory(community=community, category=category)
        for i in range(residents_per_session):
            resident = ResidentFactory(profile__community=community)
            Attendance.objects.create(session=session, resident=resident, attended=i != 0 or residents_per_session < 3)
            SessionRatingFactory(session=session, resident=resident, stars=4 + (i % 2), created=session.ends_at + timedelta(hours=1))
        submitted = local(day) - timedelta(days=3)
        OrderFactory(resident=ResidentFactory(profile__community=community), category=category, submitted_at=submitted)
        OrderFactory(
            resident=ResidentFactory(profile__community=community),
            category=category,
            status=OrderStatus.ACCEPTED,
            submitted_at=submitted,
            accepted_at=submitted + timedelta(hours=10),
        )
        OrderFactory(
            resident=ResidentFactory(profile__community=community),
            category=category,
            status=OrderStatus.COMPLETED,
            submitted_at=submitted,
            accepted_at=submitted + timedelta(hours=2),
            dispatched_at=submitted + timedelta(hours=50),
            completed_at=submitted + timedelta(hours=80),
        )
