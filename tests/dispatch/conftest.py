"""Fixtures of the matching-service tests; the builders live in `helpers`."""

import pytest

from .helpers import town, yoga  # noqa: F401 — fixtures are found by name in conftest


@pytest.fixture
def login(client):
    """Sign `user` in to the admin; pages answer in English so that messages can be compared."""

    def _login(user):
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login
