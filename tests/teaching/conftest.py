"""Two teachers with a class each in two communities, two venues with an owner each: the teaching tests' world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.enums import Role
from activities.services import registration_create
from tests.factories import (
    CourseFactory,
    ResidentFactory,
    RoleAssignmentFactory,
    SessionFactory,
    TeacherFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.pairs import two_of_everything
from venues.models import VenueManager


def teacher_user(community, **kwargs):
    """A teacher of the pool with an account holding the teacher role."""
    user = UserFactory(**kwargs)
    RoleAssignmentFactory(user=user, role=Role.TEACHER)
    return TeacherFactory(community=community, user=user, name=user.name)


@dataclass
class Teaching:
    pair: object
    teacher_a: object
    teacher_b: object
    course_a: object
    course_b: object
    session_a: object  # course_a's meeting starting at `start`
    session_b: object
    start: object
    alice: object  # registered in course_a
    bob: object  # registered in course_b
    owner_a: object  # manages venue_a (which needs the owner's confirmation)
    owner_b: object  # manages venue_b
    venue_a: object
    venue_b: object


@pytest.fixture
def teaching(db) -> Teaching:
    pair = two_of_everything(capacity=3)
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    teacher_a, teacher_b = teacher_user(pair.a), teacher_user(pair.b)
    venue_a = VenueFactory(community=pair.a, capacity=30, requires_confirmation=True)
    venue_b = VenueFactory(community=pair.b, capacity=30, requires_confirmation=True)
    course_a = CourseFactory(community=pair.a, teacher=teacher_a, venue=venue_a, capacity=3)
    course_b = CourseFactory(community=pair.b, teacher=teacher_b, venue=venue_b, capacity=3)
    session_a = SessionFactory(
        course=course_a, venue=venue_a, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    session_b = SessionFactory(
        course=course_b, venue=venue_b, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    alice = ResidentFactory(profile__community=pair.a, phone="13812340001")
    bob = ResidentFactory(profile__community=pair.b, phone="13812340002")
    registration_create(course=course_a, resident=alice)
    registration_create(course=course_b, resident=bob)
    owner_a, owner_b = UserFactory(), UserFactory()
    VenueManager.objects.create(user=owner_a, venue=venue_a)
    VenueManager.objects.create(user=owner_b, venue=venue_b)
    return Teaching(
        pair,
        teacher_a,
        teacher_b,
        course_a,
        course_b,
        session_a,
        session_b,
        start,
        alice,
        bob,
        owner_a,
        owner_b,
        venue_a,
        venue_b,
    )
