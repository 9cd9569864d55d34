"""The security tests reuse the API tests' world: three communities, residents, staff and the district office."""

from tests.api.conftest import api, world  # noqa: F401 — fixtures shared with tests/api


def pytest_configure(config):
    # test_csp_browser.py is an end-to-end test too; registered here for runs of this folder alone.
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in a real headless Chromium (deselect with -m 'not e2e')"
    )
