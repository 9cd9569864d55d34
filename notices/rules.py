"""The rules of sending, as pure functions: consent per channel and purpose, quiet hours, backoff.

Consent (decided here, one place):

- The inbox always gets the notice. It is the record of what the portal told the resident, it costs
  nothing, and nobody is disturbed by it: it is read only when the resident comes to the site.
- ``consent_sms`` and ``consent_email`` are consents per *channel*. They cover the service notices
  (order accepted/rejected/dispatched, registration confirmed/waitlisted/moved up/cancelled, class changed
  or cancelled, reminders, feedback requests) and the weekly digest alike: the profile form names them
  "notices by SMS" / "notices by e-mail", and the digest is one short SMS a week at most. A resident who
  wants no digest by SMS turns SMS off; the digest then stays in the inbox (and e-mail if chosen).
- ``consent_recommendations`` is the consent per *purpose* for profiling: it decides whether the digest
  is built from the resident's interests, free times, attendance, ratings and home location. Without it
  the resident gets the non-personalised digest (what is new in their street, the same for everyone
  there) — never a personalised one, on any channel.
- A resident without a profile never chose any of this: inbox only. An inactive account gets nothing.
- Consent is asked twice: when the notice is made, and again just before each send, so a resident who
  withdraws consent during quiet hours is not texted at 07:00.

Quiet hours (NOTICES_QUIET_HOURS, default 22:00–07:00, in the portal's time zone Asia/Shanghai) defer SMS
and e-mail to the end of the quiet period; the inbox is never deferred.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .enums import Channel


def _parse_quiet_hours(value: str) -> tuple[time, time] | None:
    value = (value or "").strip()
    if not value or value.lower() in {"off", "none", "0"}:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in value.split("-", 1))
    return start, end


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet period `now` falls in, or None when SMS and e-mail may go now."""
    window = _parse_quiet_hours(settings.NOTICES_QUIET_HOURS)
    if window is None:
        return None
    start, end = window
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    moment = local.time()
    quiet = (moment >= start or moment < end) if start > end else (start <= moment < end)
    if not quiet:
        return None
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff after the `attempts`-th failure, never beyond the broker's visibility timeout."""
    base = settings.NOTICES_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(0, attempts - 1), 3600))


def external_channels(
    *, is_active: bool, has_profile: bool, consent_sms: bool, consent_email: bool, phone, email
) -> tuple[str, ...]:
    """The channels besides the inbox a notice may take to this resident, whatever its purpose."""
    if not is_active or not has_profile:
        return ()
    channels = []
    if consent_sms and phone:
        channels.append(Channel.SMS.value)
    if consent_email and email:
        channels.append(Channel.EMAIL.value)
    return tuple(channels)


def channels_for_user(user) -> tuple[str, ...]:
    """`external_channels` for a User whose `profile` is loaded (select_related) or absent."""
    profile = getattr(user, "profile", None)
    return external_channels(
        is_active=user.is_active,
        has_profile=profile is not None,
        consent_sms=bool(profile and profile.consent_sms),
        consent_email=bool(profile and profile.consent_email),
        phone=user.phone,
        email=user.email,
    )
