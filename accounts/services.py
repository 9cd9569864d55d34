"""Writes about users and roles."""

from django.db import transaction

from .enums import Role
from .models import RoleAssignment, User

# Roles whose work is in the staff admin: staff of every level, department liaisons (policy talks), and
# teachers (their classes' roll call, until they have pages of their own).
ADMIN_ROLES = frozenset(
    {
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.DISTRICT_OFFICE,
        Role.CITY_OFFICE,
        Role.DEPARTMENT_LIAISON,
        Role.TEACHER,
    }
)


@transaction.atomic
def role_assign(*, user: User, role: str, **node) -> RoleAssignment:
    """Grant `role` on a node; a role that works in the admin lets the user in (`is_staff`) in the same step."""
    assignment = RoleAssignment(user=user, role=role, **node)
    assignment.full_clean()
    assignment.save()
    if role in ADMIN_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_cc_scope", None)
    return assignment


def needs_phone_verification(user: User) -> bool:
    """Whether signing in must first prove the mobile number, as allauth's phone verification stage asks
    on the sign-in page (ACCOUNT_PHONE_VERIFICATION_ENABLED): every sign-in path asks this one question."""
    from django.conf import settings

    return bool(user.phone) and not user.phone_verified and settings.ACCOUNT_PHONE_VERIFICATION_ENABLED


def phone_mark_verified(*, user: User) -> None:
    """A code sent to the user's number came back: the number is theirs."""
    User.objects.filter(pk=user.pk).update(phone_verified=True)
    user.phone_verified = True


def password_set(*, user: User, password: str) -> None:
    """Give `user` a new password (after the validators), e.g. right after a sign-in by SMS code.

    The one write path for a chosen password outside allauth's own forms: the validators run here too, so
    a caller that skips its form cannot store a weak one.
    """
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
