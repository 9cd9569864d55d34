"""The security tests reuse the API tests' world: three communities, residents, staff and the district office."""

from tests.api.conftest import api, world  # noqa: F401 — fixtures shared with tests/api
