"""Two communities on two streets, each with one of everything, and a member of staff for every role."""

from dataclasses import dataclass

import pytest

from accounts.enums import Role
from tests.factories import (
    CommunityFactory,
    DistrictFactory,
    FacilityFactory,
    StaffFactory,
    StreetFactory,
    TermFactory,
    UserFactory,
    WeeklySlotFactory,
)
from tests.shared_rows import fresh, rolled_back_at_the_end

from .helpers import Node, make_node


@dataclass
class World:
    a: Node
    b: Node
    superuser: object
    community_staff: object
    street_staff: object
    district_office: object
    resident: object


@pytest.fixture(scope="module")
def _world_rows(django_db_setup, django_db_blocker) -> World:
    with rolled_back_at_the_end(django_db_blocker):
        yield _build_world()


@pytest.fixture
def world(db, _world_rows) -> World:
    """Made once for the module (tests/shared_rows.py); each test rolls back what it changed."""
    return fresh(_world_rows)


def _build_world() -> World:
    district = DistrictFactory()
    street_a, street_b = StreetFactory(district=district), StreetFactory(district=district)
    a = make_node(CommunityFactory(street=street_a))
    b = make_node(CommunityFactory(street=street_b))
    # District-level reference data.
    FacilityFactory()
    TermFactory()
    WeeklySlotFactory()
    return World(
        a=a,
        b=b,
        superuser=UserFactory(is_staff=True, is_superuser=True, name="超级管理员"),
        community_staff=StaffFactory(role=Role.COMMUNITY_STAFF, community=a.community),
        street_staff=StaffFactory(role=Role.STREET_STAFF, street=street_a),
        district_office=StaffFactory(role=Role.DISTRICT_OFFICE, district=district),
        resident=a.resident,
    )


@pytest.fixture
def login(client):
    """Sign `user` in to the admin; pages answer in English so that messages can be compared."""

    def _login(user):
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login
