"""The API tests' world: two communities on one street and a third on another, each with a resident,
and the people of the access matrix. Requests answer in English so that messages can be compared."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.enums import Role
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    DistrictFactory,
    ResidentFactory,
    StaffFactory,
    StreetFactory,
)
from tests.shared_rows import fresh, rolled_back_at_the_end


@dataclass
class World:
    district: object
    home: object  # the owner's community
    elsewhere: object  # another community on another street
    leaf: object  # an interest that can be ordered
    field: object  # the broad field above it
    owner: object  # a resident of `home`
    neighbour: object  # another resident of `home`
    staff: object  # community staff of `home`
    other_staff: object  # community staff of `elsewhere`
    district_office: object


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
    home = CommunityFactory(street=StreetFactory(district=district))
    elsewhere = CommunityFactory(street=StreetFactory(district=district), latitude=29.9, longitude=106.9)
    field = CategoryFactory(name="体育")
    leaf = CategoryFactory(name="太极拳", parent=field)
    return World(
        district=district,
        home=home,
        elsewhere=elsewhere,
        leaf=leaf,
        field=field,
        owner=ResidentFactory(profile__community=home, phone="13812341234", email="owner@example.com"),
        neighbour=ResidentFactory(profile__community=home),
        staff=StaffFactory(community=home),
        other_staff=StaffFactory(community=elsewhere),
        district_office=StaffFactory(role=Role.DISTRICT_OFFICE, district=district),
    )


@pytest.fixture
def api():
    """An API client signed in as `user` (None: anonymous), answering in English."""

    def _client(user=None, language="en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client
