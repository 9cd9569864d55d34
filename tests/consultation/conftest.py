"""Two communities in two streets, their residents, staff, a department with a liaison, a venue each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.enums import Role
from accounts.models import RoleAssignment
from consultation import services
from tests.factories.accounts import (
    CommunityFactory,
    DepartmentFactory,
    ResidentFactory,
    StaffFactory,
    UserFactory,
)
from tests.factories.consultation import MatterCategoryFactory
from tests.factories.venues import VenueFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class World:
    home: object
    other: object
    residents: list
    neighbours: list
    staff: object
    other_staff: object
    street_staff: object
    district: object
    department: object
    other_department: object
    liaison: object
    other_liaison: object
    category: object
    venue: object
    other_venue: object

    def raise_matter(self, title="小区停车难", resident=None, **kw):
        return services.matter_raise(
            resident=resident or self.residents[0],
            category=kw.pop("category", self.category),
            title=title,
            description=kw.pop("description", "晚上车位不够，车停到消防通道上。"),
            **kw,
        )


@pytest.fixture
def world(db) -> World:
    home = CommunityFactory(name="人和社区")
    other = CommunityFactory(name="星光社区")
    residents = [ResidentFactory(profile__community=home) for _ in range(4)]
    neighbours = [ResidentFactory(profile__community=other) for _ in range(2)]
    staff = StaffFactory(community=home)
    other_staff = StaffFactory(community=other)
    street_staff = StaffFactory(role=Role.STREET_STAFF, street=home.street)
    district = StaffFactory(role=Role.DISTRICT_OFFICE, district=home.street.district)
    department = DepartmentFactory(name="城市管理局")
    other_department = DepartmentFactory(name="教育局")
    liaison = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=liaison, role=Role.DEPARTMENT_LIAISON, department=department)
    other_liaison = UserFactory(is_staff=True)
    RoleAssignment.objects.create(user=other_liaison, role=Role.DEPARTMENT_LIAISON, department=other_department)
    root = MatterCategoryFactory(name="环境")
    category = MatterCategoryFactory(name="停车", parent=root)
    return World(
        home=home,
        other=other,
        residents=residents,
        neighbours=neighbours,
        staff=staff,
        other_staff=other_staff,
        street_staff=street_staff,
        district=district,
        department=department,
        other_department=other_department,
        liaison=liaison,
        other_liaison=other_liaison,
        category=category,
        venue=VenueFactory(community=home),
        other_venue=VenueFactory(community=other),
    )


class Clock:
    """`django.utils.timezone.now` frozen; every service reads the time through it."""

    def __init__(self):
        self.now = datetime(2026, 9, 21, 9, 0, tzinfo=SHANGHAI)  # a Monday

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> datetime:
        self.now = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def _eager_celery():
    """Notice tasks run in-process even when REDIS_URL is set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
