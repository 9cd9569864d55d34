"""The staff workflow tests reuse the admin tests' world: two communities on two streets, a member of each role."""

import pytest

from tests.admin.conftest import World, _build_world, login  # noqa: F401 — fixtures shared with tests/admin


@pytest.fixture
def world(db) -> World:
    # Made for each test here: tests/admin makes it once per module (tests/shared_rows.py), which holds
    # only where every test of a module starts from it.
    return _build_world()
