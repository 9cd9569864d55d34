"""Writes about residents (a new resident and their profile), their profiles and interest groups (orders are
`activities.orders`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import Community, RoleAssignment, User, normalise_phone
from accounts.selectors import scope_for
from community_college.errors import ConflictError, ScopeError

from .models import Category, GroupMembership, InterestGroup, ResidentAvailability, ResidentProfile


@transaction.atomic
def group_join(*, group: InterestGroup, user: User, actor: User | None = None) -> GroupMembership:
    """`user` joins `group` (idempotent); staff in the group's scope may add a resident (`actor`).

    Refused when the group is inactive or full, or when the resident's home community is not on the
    group's street: groups are for neighbours, whoever adds them (the portal, the admin).
    """
    locked = InterestGroup.objects.select_for_update(of=("self",)).select_related("community").get(pk=group.pk)
    if actor is not None and actor.pk != user.pk and not scope_for(actor).can_change_community(locked.community_id):
        raise ScopeError(_("This group belongs to another community."), code="scope")
    if not locked.is_active:
        raise ConflictError(_("This group is no longer active."), code="inactive")
    existing = GroupMembership.objects.filter(group=locked, user=user).first()
    if existing:
        return existing
    profile = ResidentProfile.objects.filter(user=user).select_related("community").first()
    if profile is None:
        raise ConflictError(_("Choose your home community in your profile before joining a group."), code="no_profile")
    if profile.community.street_id != locked.community.street_id:
        raise ConflictError(
            _("%(group)s is for residents of its own street.") % {"group": locked.name}, code="other_street"
        )
    if locked.max_members is not None and locked.memberships.count() >= locked.max_members:
        raise ConflictError(_("This group is full."), code="full")
    return GroupMembership.objects.create(group=locked, user=user)


def group_leave(*, group: InterestGroup, user: User) -> None:
    GroupMembership.objects.filter(group=group, user=user).delete()


# --- The resident's profile (画像) ------------------------------------------------------------------------


def _merge_windows(windows: Iterable[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    """Sort weekly windows and join those that touch or overlap: afternoon and evening become one."""
    merged: list[tuple[int, time, time]] = []
    for weekday, start, end in sorted(set(windows)):
        if merged and merged[-1][0] == weekday and start <= merged[-1][2]:
            merged[-1] = (weekday, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((weekday, start, end))
    return merged


@transaction.atomic
def profile_update(
    *,
    user: User,
    community: Community,
    latitude: float | None = None,
    longitude: float | None = None,
    interests: Iterable[Category] = (),
    availability: Iterable[tuple[int, time, time]] = (),
    consent_sms: bool = True,
    consent_email: bool = False,
    consent_recommendations: bool = True,
) -> ResidentProfile:
    """Save a resident's profile in one transaction, creating it (and the resident role) on first save.

    Home is the community's centre unless a location is given. Interests and weekly free times replace
    the old ones. Any refusal raises ValidationError keyed by field, and nothing is saved.
    """
    errors: dict[str, list[str]] = {}
    if (latitude is None) != (longitude is None):
        errors.setdefault("latitude", []).append(_("Give both latitude and longitude, or neither."))
    interests = list(interests)
    if any(not category.is_active for category in interests):
        errors.setdefault("interests", []).append(_("One of the chosen interests is no longer offered."))
    if consent_email and not user.email:
        errors.setdefault("consent_email", []).append(
            _("Add an e-mail address to your account before choosing notices by e-mail.")
        )
    windows = _merge_windows(availability)
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6 or start >= end:
            errors.setdefault("availability", []).append(_("A free time must end after it starts."))
            break
    if errors:
        raise ValidationError(errors)

    # Lock the resident's row: a double-tapped first save must make one profile, not an IntegrityError.
    User.objects.select_for_update().filter(pk=user.pk).exists()
    profile = ResidentProfile.objects.filter(user=user).first() or ResidentProfile(user=user)
    profile.community = community
    if latitude is None:
        latitude, longitude = community.latitude, community.longitude
    profile.latitude, profile.longitude = latitude, longitude
    profile.consent_sms = bool(consent_sms)
    profile.consent_email = bool(consent_email)
    profile.consent_recommendations = bool(consent_recommendations)
    profile.full_clean()
    profile.save()
    profile.interests.set(interests)
    profile.availability.all().delete()
    rows = [ResidentAvailability(profile=profile, weekday=d, start=s, end=e) for d, s, e in windows]
    for row in rows:
        row.full_clean(validate_constraints=False)
    ResidentAvailability.objects.bulk_create(rows)
    RoleAssignment.objects.get_or_create(user=user, role=Role.RESIDENT)
    return profile


@transaction.atomic
def resident_register(
    *,
    name: str,
    phone: str | None,
    community: Community,
    email: str | None = None,
    password: str | None = None,
    registered_by: User | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> User:
    """Create a resident with a profile in their home community. Staff may do it for a caller."""
    user = User(
        name=name.strip(),
        phone=normalise_phone(phone),
        email=(email or "").strip().lower() or None,
        registered_by=registered_by,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT)
    profile = ResidentProfile(
        user=user,
        community=community,
        latitude=latitude if latitude is not None else community.latitude,
        longitude=longitude if longitude is not None else community.longitude,
    )
    profile.full_clean()
    profile.save()
    return user
