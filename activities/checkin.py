"""Check-in by QR code: a short-lived signed code per meeting, and the resident's check-in with it.

The teacher's phone shows a code that changes every `CHECKIN_CODE_SECONDS` (60): `<session>-<step>-<signature>`,
where `step` counts those periods since the epoch and the signature is Django's HMAC (`signing.Signer`, its own
salt) of the session and the step. Nothing is stored: the server recomputes the signature. A code is taken in
its own period and the next one (time to point a camera at it), so a photo of the screen forwarded to
someone at home is refused a minute or two later as stale; codes are shown and taken only from
`CHECKIN_OPENS_MINUTES` before the start to `CHECKIN_CLOSES_MINUTES` after it.

`attendance_check_in` records the check-in through `services.attendance_record` (source "code"). A resident
without a place is a walk-in: registered through `registration_create` when the class has a free place and
checked in in the same transaction; when it has none, nothing is saved (not even a place on the waiting list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts.models import User
from community_college.errors import ConflictError

from .enums import AttendanceSource, AttendanceStatus, RegistrationStatus, SessionStatus
from .models import Attendance, Registration, Session

_SALT = "activities.checkin"


def _period() -> int:
    return max(1, int(settings.CHECKIN_CODE_SECONDS))


def _step(at: datetime) -> int:
    return int(at.timestamp()) // _period()


def _signature(session_id: int, step: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{session_id}.{step}")


def checkin_window(*, session: Session) -> tuple[datetime, datetime]:
    """When codes of `session` are shown and taken: from before its start to after it (settings)."""
    opens = session.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    closes = session.starts_at + timedelta(minutes=settings.CHECKIN_CLOSES_MINUTES)
    return opens, closes


def window_refusal(*, session: Session, now: datetime | None = None) -> ConflictError | None:
    """Why `session` takes no check-in at `now`, or None when it does."""
    now = now or timezone.now()
    if session.status == SessionStatus.CANCELLED:
        return ConflictError(_("This meeting was cancelled."), code="session_cancelled")
    opens, closes = checkin_window(session=session)
    if now < opens:
        return ConflictError(
            _("Check-in for this meeting opens at %(time)s.")
            % {"time": f"{timezone.localtime(opens):%H:%M}"},
            code="checkin_not_open",
        )
    if now > closes:
        return ConflictError(
            _("Check-in for this meeting closed at %(time)s (%(date)s).")
            % {
                "time": f"{timezone.localtime(closes):%H:%M}",
                "date": f"{timezone.localtime(closes):%Y-%m-%d}",
            },
            code="checkin_closed",
        )
    return None


@dataclass(frozen=True)
class CheckInCode:
    code: str
    session_id: int
    # When the teacher's screen should fetch the next one.
    refresh_at: datetime


def checkin_code(*, session: Session, now: datetime | None = None) -> CheckInCode:
    """The code the teacher's screen shows now; ConflictError outside the check-in window."""
    now = now or timezone.now()
    refusal = window_refusal(session=session, now=now)
    if refusal is not None:
        raise refusal
    step = _step(now)
    refresh_at = datetime.fromtimestamp(
        (step + 1) * _period(), tz=now.tzinfo or timezone.get_current_timezone()
    )
    return CheckInCode(
        code=f"{session.pk}-{step}-{_signature(session.pk, step)}",
        session_id=session.pk,
        refresh_at=refresh_at,
    )


def _invalid() -> ConflictError:
    return ConflictError(
        _("This check-in code is not valid. Scan the code on the teacher's screen again."), code="bad_code"
    )


def checkin_code_session_id(*, code: str, now: datetime | None = None) -> int:
    """The session a code checks in to, if the code is genuine and fresh at `now`; ConflictError otherwise.

    Fresh: made in the current period or the one before (a code shown at the end of its minute is still
    taken while the resident scans it); older codes, and codes from the future, are refused as stale.
    """
    now = now or timezone.now()
    parts = (code or "").split("-", 2)
    if (
        len(parts) != 3
        or not parts[0].isdigit()
        or not parts[1].isdigit()
        or len(parts[0]) > 12
        or len(parts[1]) > 14
    ):
        raise _invalid()
    session_id, step, signature = int(parts[0]), int(parts[1]), parts[2]
    if not constant_time_compare(signature, _signature(session_id, step)):
        raise _invalid()
    age = _step(now) - step
    if age < 0 or age > 1:
        raise ConflictError(
            _(
                "This check-in code has expired: codes change every minute. Scan the code on the teacher's "
                "screen again."
            ),
            code="stale_code",
        )
    return session_id


@dataclass(frozen=True)
class CheckIn:
    attendance: Attendance
    session: Session
    # True when the resident had no place and was registered at the door.
    walked_in: bool


def attendance_check_in(
    *, code: str, resident: User, scanned_at: datetime | None = None, now=None
) -> CheckIn:
    """Check `resident` in to the meeting of `code` (a QR scan). Refused, with nothing saved, when the code is
    forged, stale or outside the meeting's window, or when the resident has no place and the class has none free.

    `scanned_at`: when the resident opened the link, if they signed in before coming back here (at most
    `CHECKIN_SIGN_IN_GRACE_SECONDS` earlier); the code and the window are judged at that moment.
    """
    from .services import registration_create

    now = now or timezone.now()
    at = now
    if scanned_at is not None:
        if not (now - timedelta(seconds=settings.CHECKIN_SIGN_IN_GRACE_SECONDS) <= scanned_at <= now):
            raise ConflictError(
                _(
                    "This check-in code has expired: codes change every minute. Scan the code on the teacher's screen again."
                ),
                code="stale_code",
            )
        at = scanned_at
    session_id = checkin_code_session_id(code=code, now=at)
    session = Session.objects.select_related("course").filter(pk=session_id).first()
    if session is None:
        raise _invalid()
    refusal = window_refusal(session=session, now=at)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        registered = Registration.objects.filter(
            course_id=session.course_id, resident=resident, status=RegistrationStatus.CONFIRMED
        ).exists()
        walked_in = False
        if not registered:
            registration = registration_create(course=session.course, resident=resident)
            if registration.status != RegistrationStatus.CONFIRMED:
                # Raised inside the transaction, so a place on the waiting list just taken is undone too.
                raise ConflictError(
                    _("You are not registered for this class, and it has no free place today."),
                    code="not_registered",
                )
            walked_in = True
        attendance = _record(session=session, resident=resident, at=at)
    return CheckIn(attendance=attendance, session=session, walked_in=walked_in)


def _record(*, session: Session, resident: User, at: datetime) -> Attendance:
    from .services import attendance_record

    return attendance_record(
        session=session,
        resident=resident,
        status=AttendanceStatus.PRESENT,
        actor=resident,
        source=AttendanceSource.CODE,
        now=at,
    )
