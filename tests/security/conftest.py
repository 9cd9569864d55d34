"""The security tests reuse the API tests' world: three communities, residents, staff and the district office."""

import pytest

from tests.api.conftest import World, _build_world, api  # noqa: F401 — fixtures shared with tests/api


@pytest.fixture
def world(db) -> World:
    # Made for each test here: tests/api makes it once per module (tests/shared_rows.py), which holds only
    # where every test of a module starts from it.
    return _build_world()


def pytest_configure(config):
    # test_csp_browser.py is an end-to-end test too; registered here for runs of this folder alone.
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in a real headless Chromium (deselect with -m 'not e2e')"
    )
