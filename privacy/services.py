"""Closing an account (PIPL art. 47) and the retention purge of delivery logs and notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import AccountClosure


@transaction.atomic
def account_close(*, user: User) -> AccountClosure:
    """Erase or anonymise everything personal about `user`, in one transaction, and end their sign-ins.

    Kept, without the person: the account row (now nameless, no number, no e-mail, unusable), orders,
    registrations, attendance, ratings' stars and group memberships, so every count and dashboard figure
    stays right and other people's records stay intact. Erased: notices and their deliveries, free text
    they wrote (order notes, rating comments, recommendation notes), location, interests, availability,
    consents, API tokens, e-mail addresses, sign-in attempts; every session ends (the password hash
    changes and the account is inactive). An AccountClosure row records counts, never content.
    """
    from allauth.account.models import EmailAddress
    from axes.models import AccessAttempt, AccessLog

    from interests.models import Order, OrderEvent, ResidentProfile
    from notices.models import Notice
    from ratings.models import SessionRating
    from teachers.models import TeacherRecommendation

    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff or locked.roles.exists():
        raise ValidationError(_("Staff accounts are closed by the district office, not from the portal."), code="staff")
    if not locked.is_active:
        raise ValidationError(_("This account is already closed."), code="closed")
    identifiers = [value for value in (locked.phone, locked.email) if value]
    counts = {
        "notices": _deleted(Notice.objects.filter(recipient=locked)),
        "orders_anonymised": Order.objects.filter(resident=locked).update(note=""),
        "order_history_anonymised": Order.history.model.objects.filter(resident=locked).update(note=""),
        "order_events_anonymised": OrderEvent.objects.filter(order__resident=locked, actor=locked).update(note=""),
        "rating_comments": SessionRating.objects.filter(resident=locked).exclude(comment="").update(comment=""),
        "recommendations": TeacherRecommendation.objects.filter(recommended_by=locked).update(
            recommended_by=None, note=""
        ),
        "api_tokens": _deleted(locked.api_tokens.all()),
        "email_addresses": _deleted(EmailAddress.objects.filter(user=locked)),
        "sign_in_attempts": _deleted(AccessAttempt.objects.filter(username__in=identifiers))
        + _deleted(AccessLog.objects.filter(username__in=identifiers)),
    }
    profile = ResidentProfile.objects.filter(user=locked).first()
    if profile is not None:
        profile.interests.clear()
        counts["availability"] = _deleted(profile.availability.all())
        ResidentProfile.objects.filter(pk=profile.pk).update(
            latitude=None,
            longitude=None,
            grid=None,
            consent_sms=False,
            consent_email=False,
            consent_recommendations=False,
        )
    locked.set_unusable_password()
    User.objects.filter(pk=locked.pk).update(
        phone=None,
        phone_verified=False,
        # The database requires a number or an address: a placeholder that names no one and reaches no
        # one (.invalid is reserved, RFC 2606).
        email=f"closed-{locked.pk}@closed.invalid",
        name="",
        birth_year=None,
        is_active=False,
        password=locked.password,
    )
    counts["sessions"] = _end_sessions(locked.pk)
    return AccountClosure.objects.create(account_id=locked.pk, counts=counts)


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
