"""Priority registration: before a class's registration opens to everyone, only holders of a priority pass
for that class, within its window, may register. The registration service asks `registration_refusal`
first, so no page or API can go around it. One copy of the rule lives elsewhere, for the hot path: on
PostgreSQL `services.registration_create_for` (the portal's and the API's register) reads the class inside
the registration statement, which applies the same rule (`not_open` in activities/registration_sql.py);
tests/activities/test_registration_for_id.py drives both with the same passes, so change them together.

(The passes are granted by the layer above, the recognition rounds' honours; this module only enforces them.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community_college.errors import ConflictError

from .models import Course, PriorityPass


def registration_refusal(*, course: Course, resident, now: datetime | None = None) -> ConflictError | None:
    """Why `resident` may not register for `course` yet; None when registration is open to them.

    No query when the class has no opening time or it has passed (the common case); one otherwise.
    """
    opens_at = course.registration_opens_at
    now = now or timezone.now()
    if opens_at is None or opens_at <= now:
        return None
    days = (
        PriorityPass.objects.filter(holder=resident, course=course)
        .values_list("days_early", flat=True)
        .first()
        if getattr(resident, "pk", None)
        else None
    )
    if days is not None and opens_at - timedelta(days=days) <= now:
        return None
    return not_open(opens_at)


def not_open(opens_at: datetime) -> ConflictError:
    """The refusal of a registration before `opens_at` (the registration statement finds it on PostgreSQL)."""
    return ConflictError(
        _("Registration for this class opens on %(when)s.")
        % {"when": formats.date_format(timezone.localtime(opens_at), "DATETIME_FORMAT")},
        code="registration_not_open",
    )


def ensure_registration_open(*, course: Course, resident, now: datetime | None = None) -> None:
    """`registration_refusal`, raised."""
    refusal = registration_refusal(course=course, resident=resident, now=now)
    if refusal is not None:
        raise refusal
