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


@pytest.fixture
def world(db) -> World:
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
