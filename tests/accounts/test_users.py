import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.enums import Role
from accounts.models import RoleAssignment, User, mask_phone
from accounts.selectors import scope_for
from tests.factories import CommunityFactory, DepartmentFactory, StaffFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_needs_phone_or_email():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(name="无名", phone=None, email=None)


def test_user_email_is_unique_ignoring_case():
    UserFactory(phone=None, email="li@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(phone=None, email="LI@example.org")


def test_user_phone_is_normalised_on_create():
    user = User.objects.create_user(phone="+86 138-1234-5678", password="x-long-password", name="李明")
    assert user.phone == "13812345678"


@pytest.mark.parametrize("identifier", ["13812345678", "LI@example.org"])
def test_user_signs_in_with_phone_or_email(client, identifier):
    User.objects.create_user(
        phone="13812345678", email="li@example.org", password="x-long-password", name="李明", phone_verified=True
    )
    response = client.post(reverse("account_login"), {"login": identifier, "password": "x-long-password"})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"].phone == "13812345678"


def test_user_wrong_password_does_not_sign_in(client):
    User.objects.create_user(phone="13812345678", password="x-long-password", name="李明")
    response = client.post(reverse("account_login"), {"login": "13812345678", "password": "wrong"})
    assert response.status_code == 200
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_mask_phone_hides_the_middle():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == ""


def test_role_must_be_bound_to_its_node():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF)  # no community
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.STREET_STAFF, street=StreetFactory(), community=CommunityFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_LIAISON)
    RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_LIAISON, department=DepartmentFactory())


def test_scope_of_each_staff_role():
    a = CommunityFactory()
    b = CommunityFactory(street=a.street)
    elsewhere = CommunityFactory()
    community_staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=a)
    street_staff = StaffFactory(role=Role.STREET_STAFF, street=a.street)
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=a.street.district)
    resident = UserFactory()

    assert scope_for(community_staff).community_ids == {a.pk}
    assert scope_for(street_staff).community_ids == {a.pk, b.pk}
    # The district office reads every community of its district (here all three), and changes none.
    assert (scope_for(office).everything, scope_for(office).district_wide, scope_for(office).can_change) == (
        False,
        True,
        False,
    )
    assert scope_for(office).community_ids == {a.pk, b.pk, elsewhere.pk}
    assert scope_for(resident).is_empty
    assert not scope_for(community_staff).covers(elsewhere.pk)
    assert scope_for(street_staff).can_change_community(b.pk)
    assert not scope_for(office).can_change_community(a.pk)


def test_user_with_unverified_phone_is_asked_for_the_sms_code(client):
    from accounts.sms import LocmemSMSBackend

    User.objects.create_user(phone="13812345678", password="x-long-password", name="李明")
    response = client.post(reverse("account_login"), {"login": "13812345678", "password": "x-long-password"})
    assert response["Location"] == reverse("account_verify_phone")
    assert [m.phone for m in LocmemSMSBackend.outbox] == ["13812345678"]
