"""Reads about the teacher pool; above all, which teacher a signed-in user is."""

from __future__ import annotations

from accounts.enums import Role
from accounts.models import RoleAssignment, User

from .models import Teacher


def teacher_for(user: User) -> Teacher | None:
    """The teacher the user is: the role teacher in their RoleAssignments and the pool's row linked to the
    account (`Teacher.user`). None for anyone else, which the teacher pages answer with 403."""
    if not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_cc_teacher", False)
    if cached is not False:
        return cached
    teacher = (
        Teacher.objects.filter(user=user, is_active=True)
        .filter(user__roles__role=Role.TEACHER)
        .select_related("community")
        .first()
    )
    user._cc_teacher = teacher
    return teacher


def is_teacher(user: User) -> bool:
    return teacher_for(user) is not None


def teacher_role_holders():
    return RoleAssignment.objects.filter(role=Role.TEACHER)
