"""accounts.services.password_set: the validators run in the service, and only the target user changes."""

import pytest
from django.core.exceptions import ValidationError

from accounts.services import password_set
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_password_set_stores_a_valid_password_for_that_user_only():
    user, other = UserFactory(), UserFactory()
    other_hash = other.password
    password_set(user=user, password="Lantern-Pavilion-42")
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.check_password("Lantern-Pavilion-42")
    assert other.password == other_hash


def test_password_set_refuses_a_weak_password_and_saves_nothing():
    user = UserFactory()
    before = user.password
    with pytest.raises(ValidationError):
        password_set(user=user, password="123456")
    user.refresh_from_db()
    assert user.password == before
