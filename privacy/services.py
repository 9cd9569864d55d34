"""Closing an account (PIPL art. 47) and the retention purge of delivery logs and notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import AccountClosure


@transaction.atomic
def account_close(*, user: User) -> AccountClosure:
    """Erase or anonymise everything personal about `user`, in one transaction, and end their sign-ins.

    Kept, without the person: the account row (now nameless, no number, no e-mail, unusable), orders,
    registrations, attendance, ratings' stars and group memberships, so every count and dashboard figure
    stays right and other people's records stay intact; in 协商议事 their matters (title and description
    as community record, with no name shown), supports, votes, meeting participation, comment rows and
    satisfaction scores; in funds their pledges with amounts and postings (the ledger must still balance).
    Erased: notices and their deliveries, free text they wrote (order notes, rating comments,
    recommendation notes, matter comments, confirmation comments, withdrawal reasons), location (profile
    and matters), matter photos and their files, pledges' public and unit names, interests, availability,
    consents, API tokens, e-mail addresses, sign-in attempts; every session ends (the password hash
    changes and the account is inactive). An AccountClosure row records counts, never content.
    See `_consultation_erase` for the decision on matters.
    """
    locked = _lock_closable(user)
    counts = {**_portal_erase(locked), **_sign_in_erase(locked)}
    counts.update(_consultation_erase(locked))
    counts.update(_funds_erase(locked))
    counts.update(_profile_erase(locked))
    _account_anonymise(locked)
    counts["sessions"] = _end_sessions(locked.pk)
    return AccountClosure.objects.create(account_id=locked.pk, counts=counts)


def _lock_closable(user: User) -> User:
    """The account row, locked until the closure commits; a resident's open account only."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff or locked.roles.exists():
        raise ValidationError(_("Staff accounts are closed by the district office, not from the portal."), code="staff")
    if not locked.is_active:
        raise ValidationError(_("This account is already closed."), code="closed")
    return locked


def _portal_erase(user: User) -> dict[str, int]:
    """Their notices go; the text they wrote on orders, ratings and teacher recommendations is blanked, the
    rows stay (counts and other people's records depend on them)."""
    from activities.models import Order, OrderEvent
    from notices.models import Notice
    from ratings.models import SessionRating
    from teachers.models import TeacherRecommendation

    return {
        "notices": _deleted(Notice.objects.filter(recipient=user)),
        "orders_anonymised": Order.objects.filter(resident=user).update(note=""),
        "order_history_anonymised": Order.history.model.objects.filter(resident=user).update(note=""),
        "order_events_anonymised": OrderEvent.objects.filter(order__resident=user, actor=user).update(note=""),
        "rating_comments": SessionRating.objects.filter(resident=user).exclude(comment="").update(comment=""),
        "recommendations": TeacherRecommendation.objects.filter(recommended_by=user).update(
            recommended_by=None, note=""
        ),
    }


def _sign_in_erase(user: User) -> dict[str, int]:
    """Every way back in goes: API tokens, e-mail addresses, and the sign-in attempts logged under their
    number or address."""
    from allauth.account.models import EmailAddress
    from axes.models import AccessAttempt, AccessLog

    identifiers = [value for value in (user.phone, user.email) if value]
    return {
        "api_tokens": _deleted(user.api_tokens.all()),
        "email_addresses": _deleted(EmailAddress.objects.filter(user=user)),
        "sign_in_attempts": _deleted(AccessAttempt.objects.filter(username__in=identifiers))
        + _deleted(AccessLog.objects.filter(username__in=identifiers)),
    }


def _profile_erase(user: User) -> dict[str, int]:
    """The profile row stays, without interests, free times, location or consents."""
    from interests.models import ResidentProfile

    profile = ResidentProfile.objects.filter(user=user).first()
    if profile is None:
        return {}
    profile.interests.clear()
    counts = {"availability": _deleted(profile.availability.all())}
    ResidentProfile.objects.filter(pk=profile.pk).update(
        latitude=None,
        longitude=None,
        grid=None,
        consent_sms=False,
        consent_email=False,
        consent_recommendations=False,
    )
    return counts


def _account_anonymise(user: User) -> None:
    """The account row stays (orders, matters and pledges point at it), naming and reaching no one, with a
    password no one can use."""
    user.set_unusable_password()
    User.objects.filter(pk=user.pk).update(
        phone=None,
        phone_verified=False,
        # The database requires a number or an address: a placeholder that names no one and reaches no
        # one (.invalid is reserved, RFC 2606).
        email=f"closed-{user.pk}@closed.invalid",
        name="",
        birth_year=None,
        is_active=False,
        password=user.password,
    )


def _consultation_erase(user: User) -> dict[str, int]:
    """协商议事: erase what the resident wrote or showed of themselves, keep what the community counts.

    Decision on matters: a matter's title and description stay as community record (neighbours supported,
    commented on and deliberated it; decisions and meeting minutes refer to it), but nothing of the person
    stays with it: `show_name` is switched off, `entered_by` is cleared, and `raised_by` (PROTECT, not null,
    so it cannot be emptied without losing the matter) points at the account row this closure makes
    nameless, numberless and address-less. Their map location and every photo of their matters or uploaded
    by them go, files included (after commit, so a rolled-back closure loses no file). Comments and
    confirmation comments are blanked; the rows stay so comment counts, supports, votes, meeting
    participation and satisfaction scores stay right. Timeline events they caused lose the actor and
    the note (a withdrawal reason is their text).
    """
    from community_college import uploads
    from consultation.models import Comment, Confirmation, Matter, MatterEvent, MatterPhoto

    photos = MatterPhoto.objects.filter(Q(uploaded_by=user) | Q(matter__raised_by=user))
    files = [name for pair in photos.values_list("name", "thumbnail") for name in pair if name]
    counts = {
        "matter_photos": _deleted(photos),
        "matters_anonymised": Matter.objects.filter(raised_by=user).update(
            latitude=None, longitude=None, show_name=False
        ),
        "matters_entered_anonymised": Matter.objects.filter(entered_by=user).update(entered_by=None),
        "matter_comments": Comment.objects.filter(author=user).exclude(body="").update(body=""),
        "confirmation_comments": Confirmation.objects.filter(resident=user).exclude(comment="").update(comment=""),
        "matter_events_anonymised": MatterEvent.objects.filter(actor=user).update(actor=None, note=""),
    }
    if files:
        transaction.on_commit(lambda: uploads.delete_stored(*files))
    return counts


def _funds_erase(user: User) -> dict[str, int]:
    """Funds: a pledge's published name and unit name go; the pledge, its amount, status and its postings
    stay (the ledger is append-only and the published report must still balance), now listed as anonymous.
    The payment reference stays: it names a transaction, not a person, and reconciles with the bank."""
    from funds.models import Pledge

    return {
        "pledges_anonymised": Pledge.objects.filter(pledger=user)
        .filter(~Q(public_name="") | ~Q(unit_name=""))
        .update(public_name="", unit_name="")
    }


def _deleted(queryset) -> int:
    """Rows of the queryset's own model deleted (cascades are not counted twice)."""
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


def _end_sessions(user_id: int) -> int:
    """Delete the user's database sessions. (The changed password hash already invalidates any session
    that survived elsewhere: Django checks it on every request.)"""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000):
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    return ended


@dataclass(frozen=True)
class Purged:
    deliveries: int
    notices: int


def records_purge(*, now=None) -> Purged:
    """Delete SMS and e-mail delivery logs and notices older than PRIVACY_RETENTION_DAYS (beat, nightly).

    Deliveries still pending or being sent are left alone whatever their age; a notice goes with its
    deliveries once it is past the retention period.
    """
    from notices.enums import DeliveryStatus
    from notices.models import Delivery, Notice

    cutoff = (now or timezone.now()) - timedelta(days=settings.PRIVACY_RETENTION_DAYS)
    with transaction.atomic():
        deliveries = (
            Delivery.objects.filter(created__lt=cutoff)
            .exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        )
        deliveries = _deleted(deliveries)
        notices = Notice.objects.filter(created__lt=cutoff).exclude(
            deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        notice_count = _deleted(Notice.objects.filter(pk__in=list(notices.values_list("pk", flat=True))))
    return Purged(deliveries=deliveries, notices=notice_count)
