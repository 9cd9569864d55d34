"""The staff workflow tests reuse the admin tests' world: two communities on two streets, a member of each role."""

from tests.admin.conftest import World, login, world  # noqa: F401 — fixtures shared with tests/admin
