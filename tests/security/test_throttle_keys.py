"""A throttle key is never made of arbitrary input: a phone field that is a list or an object is a 400,
not a cache key with brackets in it (a 500 through the cache backend's key check, found by schemathesis)."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("phone", [[None, None], {"a": 1}, "", "   ", "\r\n", "一三八", "138-0000-000a"])
def test_code_request_with_a_phone_that_is_not_a_number_is_refused(phone):
    response = APIClient().post("/api/v1/auth/codes/", {"phone": phone}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["fields"]
