"""No-shows: places are reconfirmed before each session, and unanswered places go to the waiting list.

The steps, each a service called by a thin beat task (`activities.tasks`), by the resident's one-tap link,
portal button or API, or by a staff admin action:

1. `reconfirmations_due(now)` finds the sessions starting between RECONFIRM_DEADLINE_HOURS and
   RECONFIRM_ASK_HOURS from now; for each, `reconfirmations_ask(session_id)` asks the residents with a
   confirmed place to reconfirm when the class has a waiting list, and residents under the no-show rule
   always. A place taken inside the window (a promotion a moment ago) counts as reconfirmed.
2. `reconfirmation_answer(reconfirmation, resident, keep)`: keep the place (until the deadline) or give it up
   (the registration is cancelled through `registration_cancel`, which moves the waiting list up).
3. `releases_due(now)` finds sessions whose deadline has passed and that have unanswered requests;
   `reconfirmations_release(session_id)` releases each unanswered place: the registration is cancelled and
   `promote_from_waitlist` gives the place to the first in the queue, the resident released is told, the one
   promoted too (the registration notice). No one waiting: the place is kept and the request lapses.
4. `noshow_rules_impose(now)`: residents absent without notice (absent, not excused) from NOSHOW_LIMIT
   sessions of a running term must reconfirm every session for the rest of it; they are told the rule.
   `noshow_rule_lift(rule, actor, reason)`: staff of the resident's community lift it (once per term).

Capacity is never oversold: a release takes the registration's row lock and gives its place back with a
conditional UPDATE before the promotion takes it again with one (`activities.services`). Two sweeps or a
resident answering during a release meet on the row lock of the request: one of them wins, the other finds
it no longer asked.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import scope_for
from community_college.errors import ConflictError, ScopeError

from . import signals
from .enums import (
    ReconfirmationReason,
    ReconfirmationStatus,
    RegistrationStatus,
    SessionStatus,
    TermStatus,
)
from .models import Attendance, Course, NoShowRule, Reconfirmation, Registration, Session
from .services import promote_from_waitlist, registration_cancel

LINK_SALT = "activities.reconfirmation"


def _ask_window(now):
    return now + timedelta(hours=settings.RECONFIRM_DEADLINE_HOURS), now + timedelta(
        hours=settings.RECONFIRM_ASK_HOURS
    )


def deadline_for(session: Session):
    return session.starts_at - timedelta(hours=settings.RECONFIRM_DEADLINE_HOURS)


# --- 1. Asking ----------------------------------------------------------------------------------------------


def reconfirmations_due(*, now=None) -> list[int]:
    """Sessions in the asking window whose class has a waiting list or a resident under the no-show rule,
    and someone not asked yet. One query."""
    now = now or timezone.now()
    after, until = _ask_window(now)
    waiting = Registration.objects.filter(course=OuterRef("course_id"), status=RegistrationStatus.WAITLISTED)
    ruled = Registration.objects.filter(
        course=OuterRef("course_id"),
        status=RegistrationStatus.CONFIRMED,
        resident__noshow_rules__term=OuterRef("course__term_id"),
        resident__noshow_rules__lifted_at__isnull=True,
    )
    unasked = Registration.objects.filter(
        course=OuterRef("course_id"), status=RegistrationStatus.CONFIRMED
    ).exclude(reconfirmations__session=OuterRef("pk"))
    return list(
        Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=after, starts_at__lte=until)
        .filter(Exists(waiting) | Exists(ruled))
        .filter(Exists(unasked))
        .order_by("starts_at", "id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def reconfirmations_ask(*, session_id: int, now=None) -> list[int]:
    """Ask the confirmed residents of one session to reconfirm; the ids of the new requests.

    Idempotent: a resident already asked for this session is not asked again. Outside the asking window
    (the session moved, or the task ran late) nothing is asked.
    """
    now = now or timezone.now()
    session = Session.objects.select_related("course").filter(pk=session_id).first()
    after, until = _ask_window(now)
    if (
        session is None
        or session.status != SessionStatus.SCHEDULED
        or not (after < session.starts_at <= until)
    ):
        return []
    has_waiting_list = Registration.objects.filter(
        course_id=session.course_id, status=RegistrationStatus.WAITLISTED
    ).exists()
    ruled = set(
        NoShowRule.objects.filter(term_id=session.course.term_id, lifted_at__isnull=True).values_list(
            "resident_id", flat=True
        )
        if session.course.term_id
        else []
    )
    window_opened = session.starts_at - timedelta(hours=settings.RECONFIRM_ASK_HOURS)
    candidates = (
        Registration.objects.filter(course_id=session.course_id, status=RegistrationStatus.CONFIRMED)
        .exclude(reconfirmations__session=session)
        .order_by("created", "id")
    )
    rows = []
    for registration in candidates:
        under_rule = registration.resident_id in ruled
        if not (has_waiting_list or under_rule):
            continue
        # A place taken inside the window (moved up from the queue a moment ago) is as good as reconfirmed.
        if registration.status_changed > window_opened and not under_rule:
            continue
        rows.append(
            Reconfirmation(
                registration=registration,
                session=session,
                resident_id=registration.resident_id,
                reason=ReconfirmationReason.NOSHOW_RULE if under_rule else ReconfirmationReason.WAITING_LIST,
                asked_at=now,
                deadline=deadline_for(session),
            )
        )
    created = Reconfirmation.objects.bulk_create(rows, ignore_conflicts=True)
    # ignore_conflicts leaves pk unset on some databases: read the ids back by their unique key.
    ids = list(
        Reconfirmation.objects.filter(
            session=session, registration_id__in=[r.registration_id for r in created], asked_at=now
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        signals.reconfirmation_changed.send(sender=Reconfirmation, reconfirmation_id=pk, kind="asked")
    return ids


# --- 2. The resident's answer -------------------------------------------------------------------------------


@transaction.atomic
def reconfirmation_answer(
    *, reconfirmation: Reconfirmation, resident: User, keep: bool, now=None
) -> Reconfirmation:
    """Keep the place for the session (until the deadline), or give the place in the class up.

    Keeping twice is harmless. Giving up cancels the registration; the waiting list moves up.
    """
    now = now or timezone.now()
    locked = Reconfirmation.objects.select_for_update().select_related("session").get(pk=reconfirmation.pk)
    if locked.resident_id != resident.pk:
        raise ScopeError(_("This request is for another resident."), code="scope")
    if keep:
        if locked.status == ReconfirmationStatus.CONFIRMED:
            return locked
        if locked.status != ReconfirmationStatus.ASKED:
            raise ConflictError(
                _("This place can no longer be reconfirmed: %(status)s.")
                % {"status": ReconfirmationStatus(locked.status).label},
                code="reconfirmation_closed",
            )
        if now >= locked.deadline:
            raise ConflictError(
                _("The time to reconfirm has passed: places not reconfirmed go to the waiting list."),
                code="reconfirmation_late",
            )
        locked.status, locked.answered_at = ReconfirmationStatus.CONFIRMED, now
        locked.save(update_fields=["status", "answered_at"])
    else:
        if locked.status == ReconfirmationStatus.GIVEN_UP:
            return locked
        if locked.status not in (ReconfirmationStatus.ASKED, ReconfirmationStatus.CONFIRMED):
            raise ConflictError(_("This place is no longer yours to give up."), code="reconfirmation_closed")
        if locked.session.starts_at <= now:
            raise ConflictError(_("The session has started."), code="session_started")
        locked.status, locked.answered_at = ReconfirmationStatus.GIVEN_UP, now
        locked.save(update_fields=["status", "answered_at"])
        registration_cancel(registration=locked.registration, actor=resident)
    reconfirmation.status, reconfirmation.answered_at = locked.status, locked.answered_at
    return locked


def reconfirmation_link_token(reconfirmation: Reconfirmation) -> str:
    """The signed token of the one-tap link in the request's notice (no sign-in needed: it names one request)."""
    return signing.dumps(
        {"r": reconfirmation.pk, "u": reconfirmation.resident_id}, salt=LINK_SALT, compress=True
    )


def reconfirmation_from_token(token: str) -> Reconfirmation | None:
    """The request a token names, or None if it is forged, expired, or names a request that is gone."""
    max_age = timedelta(hours=settings.RECONFIRM_LINK_MAX_AGE_HOURS)
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (
        Reconfirmation.objects.select_related("session__course__community", "session__venue", "resident")
        .filter(pk=data.get("r"), resident_id=data.get("u"))
        .first()
    )


# --- 3. Releasing places not reconfirmed --------------------------------------------------------------------


def releases_due(*, now=None) -> list[int]:
    """Sessions not started whose deadline has passed with requests unanswered. One query."""
    now = now or timezone.now()
    return list(
        Session.objects.filter(
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
            reconfirmations__status=ReconfirmationStatus.ASKED,
            reconfirmations__deadline__lte=now,
        )
        .distinct()
        .order_by("starts_at", "id")
        .values_list("pk", flat=True)
    )


def reconfirmations_release(*, session_id: int, now=None) -> dict[str, int]:
    """Release the places of one session not reconfirmed by the deadline, in the order the residents
    registered; each place goes to the first on the waiting list (`promote_from_waitlist`). Each request
    in its own transaction. With no one waiting the place is kept and the request lapses."""
    now = now or timezone.now()
    released = lapsed = 0
    pending = list(
        Reconfirmation.objects.filter(
            session_id=session_id, status=ReconfirmationStatus.ASKED, deadline__lte=now
        )
        .order_by("registration__created", "registration_id")
        .values_list("pk", flat=True)
    )
    for pk in pending:
        outcome = _release_one(reconfirmation_id=pk, now=now)
        released += outcome == ReconfirmationStatus.RELEASED
        lapsed += outcome == ReconfirmationStatus.LAPSED
    return {"released": released, "lapsed": lapsed}


@transaction.atomic
def _release_one(*, reconfirmation_id: int, now) -> str | None:
    locked = (
        Reconfirmation.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(pk=reconfirmation_id)
        .first()
    )
    if locked is None or locked.status != ReconfirmationStatus.ASKED or locked.session.starts_at <= now:
        return None
    registration = Registration.objects.select_for_update().get(pk=locked.registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        # Cancelled some other way meanwhile: the place is already back.
        locked.status, locked.answered_at = ReconfirmationStatus.LAPSED, now
        locked.save(update_fields=["status", "answered_at"])
        return ReconfirmationStatus.LAPSED
    waiting = Registration.objects.filter(
        course_id=registration.course_id, status=RegistrationStatus.WAITLISTED
    )
    if not waiting.exists():
        locked.status, locked.answered_at = ReconfirmationStatus.LAPSED, now
        locked.save(update_fields=["status", "answered_at"])
        return ReconfirmationStatus.LAPSED
    registration.status, registration.status_changed = RegistrationStatus.CANCELLED, now
    registration.save(update_fields=["status", "status_changed"])
    Course.objects.filter(pk=registration.course_id).update(confirmed_count=F("confirmed_count") - 1)
    promote_from_waitlist(course_id=registration.course_id)
    locked.status, locked.answered_at = ReconfirmationStatus.RELEASED, now
    locked.save(update_fields=["status", "answered_at"])
    signals.reconfirmation_changed.send(sender=Reconfirmation, reconfirmation_id=locked.pk, kind="released")
    return ReconfirmationStatus.RELEASED


# --- 4. The no-show rule ------------------------------------------------------------------------------------


def _absences_without_notice(now) -> QuerySet:
    """(resident, term) → absences without notice from held sessions of running terms."""
    return (
        Attendance.objects.filter(
            attended=False,
            excused=False,
            session__course__term__status=TermStatus.RUNNING,
            session__starts_at__lte=now,
        )
        .exclude(session__status=SessionStatus.CANCELLED)
        .values("resident_id", "session__course__term_id")
        .annotate(absences=Count("id"))
        .filter(absences__gte=settings.NOSHOW_LIMIT)
    )


def noshow_rules_impose(*, now=None) -> list[int]:
    """Impose the rule on every resident who crossed NOSHOW_LIMIT in a running term and has no rule for it
    yet (a lifted rule counts: it is not imposed twice in a term). The new rules' ids; two queries and one
    write per new rule."""
    now = now or timezone.now()
    crossed = list(
        _absences_without_notice(now).exclude(
            Exists(
                NoShowRule.objects.filter(
                    resident_id=OuterRef("resident_id"), term_id=OuterRef("session__course__term_id")
                )
            )
        )
    )
    if not crossed:
        return []
    homes = dict(
        User.objects.filter(
            pk__in=[row["resident_id"] for row in crossed], profile__isnull=False
        ).values_list("pk", "profile__community_id")
    )
    made = []
    for row in crossed:
        community_id = homes.get(row["resident_id"]) or (
            Attendance.objects.filter(
                resident_id=row["resident_id"], session__course__term_id=row["session__course__term_id"]
            )
            .values_list("session__course__community_id", flat=True)
            .first()
        )
        try:
            with transaction.atomic():
                rule = NoShowRule.objects.create(
                    resident_id=row["resident_id"],
                    term_id=row["session__course__term_id"],
                    community_id=community_id,
                    absences=row["absences"],
                    imposed_at=now,
                )
                signals.noshow_rule_changed.send(sender=NoShowRule, rule_id=rule.pk, kind="imposed")
        except IntegrityError:
            continue  # imposed by a concurrent sweep a moment ago
        made.append(rule.pk)
    return made


@transaction.atomic
def noshow_rule_lift(*, rule: NoShowRule, actor: User, reason: str = "", now=None) -> NoShowRule:
    """Staff of the resident's community lift the rule: from now on the resident reconfirms only when the
    class has a waiting list, like everyone. Lifting twice changes nothing."""
    now = now or timezone.now()
    locked = NoShowRule.objects.select_for_update().get(pk=rule.pk)
    if not scope_for(actor).can_change_community(locked.community_id):
        raise ScopeError(_("Only the staff of the resident's community can lift this rule."), code="scope")
    if locked.lifted_at is not None:
        return locked
    locked.lifted_at, locked.lifted_by, locked.lift_reason = now, actor, (reason or "").strip()[:200]
    locked.full_clean()
    locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    signals.noshow_rule_changed.send(sender=NoShowRule, rule_id=locked.pk, kind="lifted")
    rule.lifted_at, rule.lifted_by, rule.lift_reason = locked.lifted_at, locked.lifted_by, locked.lift_reason
    return locked


# --- Reads --------------------------------------------------------------------------------------------------


def resident_reconfirmations(*, user: User, now=None, recent_days: int = 30) -> QuerySet[Reconfirmation]:
    """The resident's requests: those open, and those of the last `recent_days` days, newest first."""
    now = now or timezone.now()
    return (
        Reconfirmation.objects.filter(resident=user)
        .filter(Q(status=ReconfirmationStatus.ASKED) | Q(asked_at__gte=now - timedelta(days=recent_days)))
        .select_related("session__course", "session__venue")
        .order_by("-asked_at", "-id")
    )


def resident_active_rules(*, user: User) -> QuerySet[NoShowRule]:
    return NoShowRule.objects.filter(
        resident=user, lifted_at__isnull=True, term__status=TermStatus.RUNNING
    ).select_related("term")


# --- The sweep the beat task runs -----------------------------------------------------------------------------


def reconfirmations_sweep(*, now=None) -> dict[str, int]:
    """Impose the no-show rule where it is due, then enqueue one task per session to ask, and one per session
    whose unanswered places are due for release. Each task is idempotent, so a sweep overlapping the next
    does no harm."""
    from ops import outbox

    now = now or timezone.now()
    rules = noshow_rules_impose(now=now)
    to_ask = reconfirmations_due(now=now)
    to_release = releases_due(now=now)
    with transaction.atomic():
        for session_id in to_ask:
            outbox.enqueue("activities.tasks.ask_reconfirmations", session_id)
        for session_id in to_release:
            outbox.enqueue("activities.tasks.release_unconfirmed_places", session_id)
    return {
        "rules_imposed": len(rules),
        "sessions_to_ask": len(to_ask),
        "sessions_to_release": len(to_release),
    }
