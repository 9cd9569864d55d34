"""Writes about classes: registrations with a fair waiting list, sessions and their venue bookings.

Capacity is guarded by the database: a registration takes a place with one conditional UPDATE
(`confirmed_count < capacity`), and a CheckConstraint refuses any row that would oversell.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import require_change, scope_for
from community_college import prepared
from community_college.errors import ConflictError, ScopeError
from ops import outbox
from venues.enums import BookingStatus
from venues.models import Booking
from venues.services import booking_cancel, booking_create, booking_move

from . import priority, signals
from .enums import (
    ACTIVE_REGISTRATION_STATUSES,
    AttendanceSource,
    AttendanceStatus,
    CourseStatus,
    RegistrationStatus,
    SessionStatus,
    TermStatus,
)
from .models import Attendance, Course, Registration, Session, Term, WaitingList, held_q


def _take_place(course_id: int) -> bool:
    """Atomically take one place of an open class; False when it is full (or no longer open)."""
    return bool(
        Course.objects.filter(pk=course_id, status=CourseStatus.OPEN, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
    )


def registration_create(*, course: Course, resident: User, placed_by: User | None = None, order=None) -> Registration:
    """Register `resident` for `course`: a place when one is free, else the end of the waiting list.

    Idempotent: registering twice (a double-click, a retried request) returns the live registration.
    The registration returned carries `queue` (QueueFacts: the class's places and the waiting list as the
    write left them) when they are known without another query, else None.
    """
    priority.ensure_registration_open(course=course, resident=resident)
    if placed_by is not None and placed_by != resident and not scope_for(placed_by).can_change_community(course.community_id):
        raise ScopeError(_("You can only register residents for classes of your own community."), code="scope")
    if connection.vendor == "postgresql":
        _course, registration, refusal = _registration_create_lean(
            course_id=course.pk, course=course, resident=resident, placed_by=placed_by, order=order
        )
        if refusal is not None:
            raise refusal
        return registration
    existing = Registration.objects.filter(course=course, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES).first()
    if existing:
        existing.queue = None
        return existing
    refusal = course_registration_refusal(course=course)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            if _take_place(course.pk):
                status = RegistrationStatus.CONFIRMED
            elif Course.objects.filter(pk=course.pk, status=CourseStatus.OPEN).exists():
                status = RegistrationStatus.WAITLISTED
            else:
                # Checked in the same UPDATE that takes the place, so a class closed a moment ago takes no one.
                raise ConflictError(_("This class is not open for registration."), code="course_closed")
            registration = Registration.objects.create(
                course=course, resident=resident, status=status, placed_by=placed_by or resident, order=order
            )
            signals.registration_changed.send(sender=Registration, registration_id=registration.pk, kind=status)
            registration.queue = None
            return registration
    except IntegrityError:
        # Another request of the same resident won the race; the unique index kept one registration.
        registration = Registration.objects.get(course=course, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES)
        registration.queue = None
        return registration


@dataclass(frozen=True)
class RegistrationAttempt:
    """What `registration_create_for` did: the class as the write saw it, and the registration or why none."""

    course: Course
    registration: Registration | None
    refusal: ValidationError | None


def registration_create_for(*, course_id: int, resident: User, calendar_token: bool = False) -> RegistrationAttempt:
    """`registration_create` of the resident's own, for a class known by its id: the portal's and the API's
    path when a popular class opens. On PostgreSQL the registration statement reads the class itself (one
    round trip less; the class is as that statement's snapshot saw it, with its places as the write left
    them). A refusal comes back with the class instead of being raised (the portal answers it with the class's
    status block). Course.DoesNotExist for no such class or a proposed one. `calendar_token`: the class carries
    the resident's calendar token as `my_calendar_token`, as `course_to_register` reads it."""
    low, high = connection.ops.integer_field_range(Course._meta.pk.get_internal_type())
    if not low <= course_id <= high:
        # The ORM answers "no such row" for an id out of the column's range; raw SQL would fail instead.
        raise Course.DoesNotExist
    if connection.vendor != "postgresql":
        from .resident_selectors import course_to_register

        course = course_to_register(pk=course_id, resident_id=resident.pk if calendar_token else None)
        try:
            return RegistrationAttempt(course, registration_create(course=course, resident=resident), None)
        except ValidationError as exc:
            return RegistrationAttempt(course, None, exc)
    course, registration, refusal = _registration_create_lean(
        course_id=course_id, course=None, resident=resident, placed_by=None, order=None
    )
    if course.status == CourseStatus.PROPOSED:
        # Not a class yet: as course_to_register, no such class (the statement wrote nothing: it is not open).
        raise Course.DoesNotExist
    if not calendar_token:
        del course.my_calendar_token
    return RegistrationAttempt(course, registration, refusal)


@dataclass(frozen=True)
class QueueFacts:
    """A class's places and waiting list right after a registration wrote them, and the resident's place."""

    course_status: str
    capacity: int
    confirmed_count: int
    waiting: int
    position: int | None  # 1 = first in line; None for a confirmed place


def _history_user_id() -> int | None:
    # As simple-history would record it: the signed-in user of the request its middleware saw, if any.
    from simple_history.models import HistoricalRecords

    user = getattr(getattr(HistoricalRecords.context, "request", None), "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _registration_create_lean(
    *, course_id: int, course: Course | None, resident: User, placed_by: User | None, order
) -> tuple[Course, Registration | None, ConflictError | None]:
    """PostgreSQL: one statement (activities/registration_sql.py) with the ORM path's guarantees. Without
    `course`, the class is built from what the statement read of it (with the resident's calendar token as
    `my_calendar_token`). Returns the class, and the registration or the refusal."""
    from . import registration_sql

    pk = registration_sql.reserve_id()
    # The notice is written by the statement in the same transaction: the hook's outbox message is held,
    # once for each outcome, and the statement keeps the one that happened.
    with outbox.held() as held:
        signals.registration_changed.send(sender=Registration, registration_id=pk, kind=RegistrationStatus.CONFIRMED)
        confirmed_messages = len(held)
        signals.registration_changed.send(sender=Registration, registration_id=pk, kind=RegistrationStatus.WAITLISTED)
    messages = [
        (RegistrationStatus.CONFIRMED.value if i < confirmed_messages else RegistrationStatus.WAITLISTED.value, m)
        for i, m in enumerate(held)
    ]
    now = timezone.now()
    placed_by_id = (placed_by or resident).pk
    try:
        row = registration_sql.register(
            registration_id=pk,
            course_id=course_id,
            resident_id=resident.pk,
            order_id=getattr(order, "pk", order),
            placed_by_id=placed_by_id,
            history_user_id=_history_user_id(),
            now=now,
            today=timezone.localdate(now),
            messages=messages,
        )
    except IntegrityError:
        # Not a double-click (ON CONFLICT takes those): the reserved id was taken after all (a sequence reset
        # under a running process). Forget the reserve; the next call reserves afresh.
        registration_sql.ids.clear()
        raise
    if row.outcome != "created":
        registration_sql.ids.give_back(pk)
    if row.outcome == "missing":
        raise Course.DoesNotExist
    if course is None:
        course = prepared.instance(connection, Course, row.course_values)
        course.my_calendar_token = row.calendar_token
    if row.outcome == "refused":
        if row.refusal == "registration_not_open":
            return course, None, priority.not_open(course.registration_opens_at)
        if row.refusal == "course_past:term":
            return course, None, ConflictError(_("This class's term has ended."), code="course_past")
        if row.refusal == "course_past:meetings":
            return course, None, ConflictError(_("This class has no meeting left."), code="course_past")
        return course, None, ConflictError(_("This class is not open for registration."), code="course_closed")
    if row.outcome == "conflict":
        # The resident's other request committed while this one waited for the class: answer with it.
        registration = Registration.objects.get(course=course, resident=resident, status__in=ACTIVE_REGISTRATION_STATUSES)
        registration.queue = None
        return course, registration, None
    for message in row.outbox:
        # Once published, the row is deleted by this process's next registration statement (no round trip).
        outbox.written(message, forget=registration_sql.published.add)
    registration = Registration(
        pk=row.registration_id,
        course=course,
        resident=resident,
        status=row.status,
        order_id=row.order_id,
        placed_by_id=row.placed_by_id,
        created=row.created,
        status_changed=row.status_changed,
    )
    registration._state.adding = False
    registration._state.db = connection.alias
    course.status, course.capacity, course.confirmed_count = row.course_status, row.capacity, row.confirmed_count
    # The statement's counts are the latest committed ones (read under the class's lock), or, for a
    # double-click, those of one snapshot: always true together, so the caller never counts again.
    registration.queue = QueueFacts(
        course_status=row.course_status,
        capacity=row.capacity,
        confirmed_count=row.confirmed_count,
        waiting=row.waiting,
        position=row.ahead + 1 if row.ahead is not None else None,
    )
    return course, registration, None


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: User) -> Registration | None:
    """Cancel a registration; a freed place goes to the first on the waiting list.

    Returns the registration that was moved up, if any.
    """
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if actor.pk != reg.resident_id and not scope_for(actor).can_change_community(reg.course.community_id):
        raise ScopeError(_("Only the resident or their community can cancel this registration."), code="scope")
    if reg.status == RegistrationStatus.CANCELLED:
        return None
    was_confirmed = reg.status == RegistrationStatus.CONFIRMED
    reg.status = RegistrationStatus.CANCELLED
    reg.status_changed = timezone.now()
    reg.save(update_fields=["status", "status_changed"])
    registration.status = reg.status
    signals.registration_changed.send(sender=Registration, registration_id=reg.pk, kind="cancelled")
    if not was_confirmed:
        return None
    Course.objects.filter(pk=reg.course_id).update(confirmed_count=F("confirmed_count") - 1)
    return promote_from_waitlist(course_id=reg.course_id)


def promote_from_waitlist(*, course_id: int) -> Registration | None:
    """Give a free place to the resident who has waited longest. Call inside a transaction."""
    first = (
        Registration.objects.select_for_update(skip_locked=True)
        .filter(course_id=course_id, status=RegistrationStatus.WAITLISTED)
        .order_by("created", "id")
        .first()
    )
    if first is None or not _take_place(course_id):
        return None
    first.status = RegistrationStatus.CONFIRMED
    first.status_changed = timezone.now()
    first.save(update_fields=["status", "status_changed"])
    signals.registration_changed.send(sender=Registration, registration_id=first.pk, kind="promoted")
    return first


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the first in line, None for a registration that is not waiting. One query.

    On PostgreSQL the waiting list's kept length (WaitingList) less those queued behind: the notice of a new
    waiting registration is sent moments after it joined, when few are behind it and the whole list may be
    ahead (counting those ahead read the list in a rush, once per registration). Elsewhere, or for a class
    without a kept length (a schema built without migrations), those ahead are counted.
    """
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _POSITION_FROM_LENGTH,
                {"course": registration.course_id, "created": registration.created, "id": registration.pk},
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    return (
        Registration.objects.filter(
            waitlist_ahead_of(registration), course_id=registration.course_id, status=RegistrationStatus.WAITLISTED
        ).count()
        + 1
    )


_POSITION_FROM_LENGTH = f"""
SELECT w.waiting - (
    SELECT count(*) FROM {Registration._meta.db_table} r
    WHERE r.course_id = %(course)s AND r.status = 'waitlisted' AND (r.created, r.id) > (%(created)s, %(id)s)
)
FROM {WaitingList._meta.db_table} w WHERE w.course_id = %(course)s
"""


@transaction.atomic
def session_schedule(*, course: Course, starts_at, ends_at, venue=None, actor: User | None = None) -> Session:
    """Add a meeting of `course`, holding its venue in the same transaction."""
    capacity = course.capacity if venue is None else min(course.capacity, venue.capacity)
    session = Session(course=course, venue=venue, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
    session.full_clean()
    session.save()
    if venue is not None:
        booking_create(
            venue=venue, starts_at=starts_at, ends_at=ends_at, booked_by=actor, session=session, purpose=course.title
        )
    return session


def waitlist_ahead_of(registration: Registration, prefix: str = "") -> Q:
    """Registrations queued before `registration`, in the order promote_from_waitlist serves them.

    Ties on `created` are broken by id: two residents who joined in the same microsecond must not
    both be told they are first. `prefix` leads from another model to Registration ("registrations__").
    """
    return Q(**{f"{prefix}created__lt": registration.created}) | Q(
        **{f"{prefix}created": registration.created, f"{prefix}id__lt": registration.id}
    )


@transaction.atomic
def course_cancel(*, course: Course, actor: User) -> Course:
    """Cancel a class: its coming meetings, their rooms and every live registration; residents are told.

    Orders dispatched into it stay dispatched with their class, so the timeline shows what happened;
    the notice tells the resident they may order again.
    """
    from venues.enums import BookingStatus
    from venues.models import Booking

    locked = Course.objects.select_for_update().get(pk=course.pk)
    require_change(actor, locked.community_id, elsewhere=_("This class belongs to another community."))
    if locked.status == CourseStatus.CANCELLED:
        return locked
    now = timezone.now()
    upcoming = Session.objects.filter(course=locked, starts_at__gte=now, status=SessionStatus.SCHEDULED)
    Booking.objects.filter(session__in=upcoming).update(status=BookingStatus.CANCELLED)
    upcoming.update(status=SessionStatus.CANCELLED)
    Registration.objects.filter(course=locked, status__in=ACTIVE_REGISTRATION_STATUSES).update(
        status=RegistrationStatus.CANCELLED, status_changed=now
    )
    locked.status = CourseStatus.CANCELLED
    locked.confirmed_count = 0
    locked.save(update_fields=["status", "confirmed_count"])
    # One notice per registered resident, sent by the notices app after commit.
    signals.course_changed.send(sender=Course, course_id=locked.pk, kind="cancelled")
    course.status, course.confirmed_count = locked.status, locked.confirmed_count
    return locked


def course_registration_refusal(*, course: Course, now=None) -> ConflictError | None:
    """Why `course` takes no registration although its status may still say open; None when it does.

    A class whose term has ended, or whose meetings are all behind it, is over even before the beat task
    closes it: a place in it would be a place in nothing.
    """
    from django.db.models import Exists, OuterRef

    now = now or timezone.now()
    live = Session.objects.filter(course=OuterRef("pk")).exclude(status=SessionStatus.CANCELLED)
    to_come = live.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
    # One query: the term's last day and whether any meeting is left.
    row = (
        Course.objects.filter(pk=course.pk)
        .annotate(has_live=Exists(live), has_to_come=Exists(to_come))
        .values("term__ends_on", "has_live", "has_to_come")
        .first()
    )
    if row is None:
        return None
    if row["term__ends_on"] is not None and row["term__ends_on"] < timezone.localdate(now):
        return ConflictError(_("This class's term has ended."), code="course_past")
    if row["has_live"] and not row["has_to_come"]:
        return ConflictError(_("This class has no meeting left."), code="course_past")
    return None


# --- Class changes: every change of a rule-carrying field goes through these ---------------------------------


COURSE_CREATE_FIELDS = ("title", "category", "community", "capacity", "teacher", "venue", "slot", "term", "group", "description", "status")


@transaction.atomic
def course_create(*, actor: User, title: str, category, community, capacity: int, **fields) -> Course:
    """A new class of `community` (the admin's add form, demo-free setups); its meetings come from
    `session_schedule`. Optional fields: teacher, venue, slot, term, group, description, status."""
    unknown = set(fields) - set(COURSE_CREATE_FIELDS)
    if unknown:
        raise TypeError(f"course_create() got unexpected fields: {sorted(unknown)}")
    if not scope_for(actor).can_change_community(community.pk):
        raise ScopeError(_("You can only add classes to your own community."), code="scope")
    course = Course(title=title, category=category, community=community, capacity=capacity, **fields)
    course.full_clean()
    course.save()
    return course


_UNSET = object()
_CHANGEABLE = (CourseStatus.OPEN, CourseStatus.PROPOSED)


def _lock_course_for_change(course: Course, actor: User) -> Course:
    locked = Course.objects.select_for_update(of=("self",)).select_related("venue", "slot", "teacher").get(pk=course.pk)
    if not scope_for(actor).can_change_community(locked.community_id):
        raise ScopeError(_("This class belongs to another community."), code="scope")
    if locked.status not in _CHANGEABLE:
        raise ConflictError(
            _("A class that is “%(status)s” can no longer be changed.") % {"status": CourseStatus(locked.status).label},
            code="course_not_changeable",
        )
    return locked


def _slot_times(session: Session, slot) -> tuple:
    """The session's meeting moved to `slot` in the same week (Monday to Sunday, local time)."""
    from datetime import datetime, timedelta

    local = timezone.localtime(session.starts_at)
    day = local.date() - timedelta(days=local.weekday()) + timedelta(days=int(slot.weekday))
    zone = timezone.get_current_timezone()
    starts = timezone.make_aware(datetime.combine(day, slot.start), zone)
    ends = timezone.make_aware(datetime.combine(day, slot.end), zone)
    return starts, ends


def _teacher_clash(*, teacher_id: int | None, starts_at, ends_at, exclude_course_id: int) -> Session | None:
    """Another live meeting of the same teacher at that time, if any."""
    if teacher_id is None:
        return None
    return (
        Session.objects.filter(
            course__teacher_id=teacher_id,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(course_id=exclude_course_id)
        .exclude(course__status__in=[CourseStatus.CANCELLED, CourseStatus.CLOSED])
        .select_related("course")
        .first()
    )


def _clash_error(session: Session, starts_at, reason: str) -> ConflictError:
    return ConflictError(
        _("Nothing was changed: the meeting of %(date)s clashes (%(reason)s).")
        % {"date": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}", "reason": reason},
        code="clash",
    )


def _move_session(*, session: Session, venue, starts_at, ends_at, teacher_id, actor: User | None) -> None:
    """Move one meeting and its booking; raise ConflictError (the caller rolls everything back) on a clash."""
    if venue is not None and actor is not None and not scope_for(actor).can_change_community(venue.community_id):
        raise ScopeError(_("%(venue)s belongs to another community.") % {"venue": venue.name}, code="scope")
    clash = _teacher_clash(
        teacher_id=teacher_id, starts_at=starts_at, ends_at=ends_at, exclude_course_id=session.course_id
    )
    if clash is not None:
        raise _clash_error(session, starts_at, _("the teacher has %(other)s then") % {"other": clash.course.title})
    booking = Booking.objects.filter(session=session).first()
    try:
        if venue is None:
            if booking is not None:
                booking_cancel(booking=booking, actor=actor)
        elif booking is None:
            booking_create(
                venue=venue, starts_at=starts_at, ends_at=ends_at, booked_by=actor, session=session,
                purpose=session.course.title,
            )
        else:
            booking_move(booking=booking, venue=venue, starts_at=starts_at, ends_at=ends_at, actor=actor)
    except ConflictError as exc:
        raise _clash_error(session, starts_at, " ".join(exc.messages)) from exc
    session.venue, session.starts_at, session.ends_at = venue, starts_at, ends_at
    if venue is not None:
        session.capacity = min(session.course.capacity, venue.capacity)
    session.full_clean()
    session.save(update_fields=["venue", "starts_at", "ends_at", "capacity"])


@transaction.atomic
def course_update(
    *,
    course: Course,
    actor: User,
    capacity: int | None = None,
    venue=_UNSET,
    slot=_UNSET,
    teacher=_UNSET,
) -> Course:
    """Change the places, the usual venue, the weekly time or the teacher of a class, whole or not at all.

    - More places: residents on the waiting list move up, in the order they joined it.
    - Fewer places than are taken: refused.
    - Another venue, time or teacher: every coming meeting moves with its booking in this transaction; one
      clash (the room or the teacher taken) refuses the whole change. Registered residents hear of it once.
    Arguments left out are left as they are.
    """
    locked = _lock_course_for_change(course, actor)
    moved = False
    if venue is not _UNSET and venue != locked.venue:
        locked.venue, moved = venue, True
    if slot is not _UNSET and slot != locked.slot:
        locked.slot, moved = slot, True
    if teacher is not _UNSET and teacher != locked.teacher:
        locked.teacher, moved = teacher, True
    grew = False
    if capacity is not None and capacity != locked.capacity:
        if capacity < locked.confirmed_count:
            raise ConflictError(
                _("%(taken)d places are already taken; the class cannot have fewer places.")
                % {"taken": locked.confirmed_count},
                code="capacity_below_taken",
            )
        grew = capacity > locked.capacity
        locked.capacity = capacity
    locked.full_clean(exclude=["category", "community", "group", "term"])
    locked.save(update_fields=["venue", "slot", "teacher", "capacity"])
    upcoming = list(
        Session.objects.select_for_update(of=("self",))
        .filter(course=locked, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())
        .select_related("course", "venue")
        .order_by("starts_at")
    )
    for session in upcoming:
        session.course = locked
        if moved:
            starts_at, ends_at = (
                _slot_times(session, locked.slot) if locked.slot is not None else (session.starts_at, session.ends_at)
            )
            _move_session(
                session=session, venue=locked.venue, starts_at=starts_at, ends_at=ends_at,
                teacher_id=locked.teacher_id, actor=actor,
            )
        else:
            seats = locked.capacity if session.venue is None else min(locked.capacity, session.venue.capacity)
            if seats != session.capacity:
                session.capacity = seats
                session.save(update_fields=["capacity"])
    if grew:
        while promote_from_waitlist(course_id=locked.pk) is not None:
            pass
    if moved:
        signals.course_changed.send(sender=Course, course_id=locked.pk, kind="changed")
    locked.refresh_from_db()
    for field in ("venue_id", "slot_id", "teacher_id", "capacity", "confirmed_count"):
        setattr(course, field, getattr(locked, field))
    return locked


def _lock_session_for_change(session: Session, actor: User) -> Session:
    locked = Session.objects.select_for_update(of=("self",)).select_related("course", "venue").get(pk=session.pk)
    if not scope_for(actor).can_change_community(locked.course.community_id):
        raise ScopeError(_("This class belongs to another community."), code="scope")
    if locked.status != SessionStatus.SCHEDULED or locked.starts_at <= timezone.now():
        raise ConflictError(_("Only a meeting that has not started yet can be changed."), code="session_not_changeable")
    return locked


@transaction.atomic
def session_cancel(*, session: Session, actor: User) -> Session:
    """Call off one coming meeting: its room is freed and the class's residents are told."""
    locked = _lock_session_for_change(session, actor)
    locked.status = SessionStatus.CANCELLED
    locked.save(update_fields=["status"])
    booking = Booking.objects.filter(session=locked).first()
    if booking is not None:
        booking_cancel(booking=booking, actor=actor)
    signals.course_changed.send(sender=Course, course_id=locked.course_id, kind="changed")
    session.status = locked.status
    return locked


@transaction.atomic
def session_reschedule(*, session: Session, actor: User, starts_at, ends_at, venue=_UNSET) -> Session:
    """Move one coming meeting to another time (and room); its booking moves with it or nothing does."""
    locked = _lock_session_for_change(session, actor)
    if starts_at is None or ends_at is None or starts_at >= ends_at:
        raise ConflictError(_("The end must be later than the start."), code="bad_times")
    if starts_at <= timezone.now():
        raise ConflictError(_("A meeting can only be moved to a time still to come."), code="past")
    new_venue = locked.venue if venue is _UNSET else venue
    _move_session(
        session=locked, venue=new_venue, starts_at=starts_at, ends_at=ends_at,
        teacher_id=locked.course.teacher_id, actor=actor,
    )
    signals.course_changed.send(sender=Course, course_id=locked.course_id, kind="changed")
    session.venue_id, session.starts_at, session.ends_at = locked.venue_id, locked.starts_at, locked.ends_at
    return locked


# --- Attendance: the roll call ----------------------------------------------------------------------------


def may_take_roll_call(*, session: Session, actor: User) -> bool:
    """Staff who can change the class's community, or the class's own teacher."""
    course = session.course
    if scope_for(actor).can_change_community(course.community_id):
        return True
    return course.teacher_id is not None and getattr(getattr(actor, "teacher", None), "pk", None) == course.teacher_id


@transaction.atomic
def attendance_record(
    *,
    session: Session,
    resident: User,
    status: str,
    actor: User,
    walk_in: bool = False,
    source: str = AttendanceSource.ROLL_CALL,
    now=None,
) -> Attendance:
    """Record one resident at one meeting as present, absent or excused; the same call twice changes nothing.

    Only residents with a confirmed place are on the roll. A resident who came without one is a walk-in
    (`walk_in=True`, present only), taken while the meeting has a free seat and never beyond it: the
    session row is locked so two walk-ins cannot take the last seat together.

    `source=AttendanceSource.CODE` is the resident checking themselves in (`activities.checkin`, which has
    verified the signed code first): the actor is the resident, present only, inside the check-in window
    rather than after the start, and a mark already recorded as present is left as it is.
    """
    now = now or timezone.now()
    if status not in AttendanceStatus.values:
        raise ConflictError(_("Choose present, absent or excused."), code="bad_status")
    # The session row is locked only to count seats for a walk-in (below): a class checking in at the door
    # (200 residents in a minute) must not queue every registered resident behind one row lock.
    locked = Session.objects.select_related("course").get(pk=session.pk)
    by_code = source == AttendanceSource.CODE
    if by_code:
        if actor.pk != resident.pk or status != AttendanceStatus.PRESENT:
            raise ScopeError(_("A check-in code checks in only the resident who scans it."), code="scope")
    elif not may_take_roll_call(session=locked, actor=actor):
        raise ScopeError(_("Only the class's community or its teacher can take the roll call."), code="scope")
    if locked.status == SessionStatus.CANCELLED:
        raise ConflictError(_("This meeting was cancelled."), code="session_cancelled")
    if by_code:
        from .checkin import window_refusal

        refusal = window_refusal(session=locked, now=now)
        if refusal is not None:
            raise refusal
    elif locked.starts_at > now:
        raise ConflictError(_("The roll call opens when the meeting starts."), code="not_started")
    registered = Registration.objects.filter(
        course_id=locked.course_id, resident=resident, status=RegistrationStatus.CONFIRMED
    ).exists()
    existing = Attendance.objects.filter(session=locked, resident=resident).first()
    is_walk_in = not registered
    if is_walk_in:
        if not walk_in:
            raise ConflictError(
                _("%(name)s is not registered for this class.") % {"name": resident.name or resident.pk},
                code="not_registered",
            )
        if status != AttendanceStatus.PRESENT:
            raise ConflictError(_("A walk-in can only be recorded as present."), code="walk_in_present")
        if existing is None:
            locked = Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
            taken = locked.course.confirmed_count + Attendance.objects.filter(session=locked, walk_in=True).count()
            if taken >= min(locked.capacity, locked.course.capacity):
                raise ConflictError(_("No seat is left for a walk-in at this meeting."), code="no_room")
    attended = status == AttendanceStatus.PRESENT
    excused = status == AttendanceStatus.EXCUSED
    if existing is not None:
        if existing.attended == attended and existing.excused == excused and existing.walk_in == is_walk_in:
            return existing
        if by_code and existing.attended:
            return existing
        existing.attended, existing.excused, existing.walk_in = attended, excused, is_walk_in
        existing.recorded_by, existing.recorded_at, existing.source = actor, now, source
        existing.full_clean()
        existing.save(update_fields=["attended", "excused", "walk_in", "recorded_by", "recorded_at", "source"])
        return existing
    row = Attendance(
        session=locked,
        resident=resident,
        attended=attended,
        excused=excused,
        walk_in=is_walk_in,
        recorded_by=actor,
        recorded_at=now,
        source=source,
    )
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # The same resident recorded twice at once (a double scan): the unique index kept one row.
        kept = Attendance.objects.filter(session=locked, resident=resident).first()
        if kept is None:
            raise
        return kept
    return row


@transaction.atomic
def attendance_roll_call(
    *, session: Session, marks: dict[int, str], actor: User, walk_ins: list[int] | tuple[int, ...] = ()
) -> list[Attendance]:
    """Record several residents of one meeting at once (the API's roll call); one refusal saves none.

    `marks` maps registered residents' ids to a status; `walk_ins` lists residents present without a place.
    """
    residents = User.objects.in_bulk([*marks, *walk_ins])
    missing = (set(marks) | set(walk_ins)) - set(residents)
    if missing:
        raise ConflictError(
            _("Unknown resident: %(ids)s.") % {"ids": ", ".join(map(str, sorted(missing)))}, code="unknown_resident"
        )
    rows = [
        attendance_record(session=session, resident=residents[pk], status=status, actor=actor)
        for pk, status in marks.items()
    ]
    rows += [
        attendance_record(
            session=session, resident=residents[pk], status=AttendanceStatus.PRESENT, actor=actor, walk_in=True
        )
        for pk in walk_ins
    ]
    return rows


# --- Lifecycle: meetings held, classes closed, terms ended -------------------------------------------------


@transaction.atomic
def course_close(*, course: Course, actor: User | None = None) -> Course:
    """Close a finished class: it takes no one any more, meetings still to come are called off with their
    rooms, and each resident on the waiting list is released and told. Confirmed places stay: they took it."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if actor is not None and not scope_for(actor).can_change_community(locked.community_id):
        raise ScopeError(_("This class belongs to another community."), code="scope")
    if locked.status in (CourseStatus.CLOSED, CourseStatus.CANCELLED):
        return locked
    now = timezone.now()
    left = Session.objects.filter(course=locked, status=SessionStatus.SCHEDULED, starts_at__gt=now)
    Booking.objects.filter(session__in=left).update(status=BookingStatus.CANCELLED)
    left.update(status=SessionStatus.CANCELLED)
    waiting = list(
        Registration.objects.select_for_update().filter(course=locked, status=RegistrationStatus.WAITLISTED)
    )
    for registration in waiting:
        registration.status, registration.status_changed = RegistrationStatus.CANCELLED, now
        registration.save(update_fields=["status", "status_changed"])
        signals.registration_changed.send(sender=Registration, registration_id=registration.pk, kind="cancelled")
    locked.status = CourseStatus.CLOSED
    locked.save(update_fields=["status"])
    course.status = locked.status
    return locked


def sessions_mark_held(*, now=None) -> int:
    """Mark every scheduled meeting that is over as held (the `held_q` rule); how many were marked."""
    now = now or timezone.now()
    return Session.objects.filter(status=SessionStatus.SCHEDULED, ends_at__lte=now).update(status=SessionStatus.HELD)


def terms_advance(*, today=None) -> int:
    """Set each term's status from its dates; how many changed."""
    today = today or timezone.localdate()
    changed = Term.objects.filter(ends_on__lt=today).exclude(status=TermStatus.ENDED).update(status=TermStatus.ENDED)
    changed += (
        Term.objects.filter(starts_on__lte=today, ends_on__gte=today)
        .exclude(status=TermStatus.RUNNING)
        .update(status=TermStatus.RUNNING)
    )
    changed += (
        Term.objects.filter(starts_on__gt=today).exclude(status=TermStatus.UPCOMING).update(status=TermStatus.UPCOMING)
    )
    return changed


def finished_courses(*, now=None):
    """Open classes that are over: their term has ended, or their last meeting is behind them."""
    from django.db.models import Exists, OuterRef

    now = now or timezone.now()
    today = timezone.localdate(now)
    held = Session.objects.filter(held_q(now=now), course=OuterRef("pk"))
    to_come = Session.objects.filter(course=OuterRef("pk"), status=SessionStatus.SCHEDULED, ends_at__gt=now)
    return Course.objects.filter(status__in=_CHANGEABLE).filter(
        Q(term__ends_on__lt=today) | (Q(Exists(held)) & ~Q(Exists(to_come)))
    )


def lifecycle_advance(*, now=None) -> dict[str, int]:
    """What the beat task runs: meetings over become held, terms follow their dates, finished classes close.

    Each class closes in its own transaction; running it twice does nothing more.
    """
    now = now or timezone.now()
    held = sessions_mark_held(now=now)
    terms = terms_advance(today=timezone.localdate(now))
    closed = 0
    for course_id in finished_courses(now=now).values_list("pk", flat=True):
        course_close(course=Course(pk=course_id))
        closed += 1
    # Certificates of ended terms, each term a task of its own (issuing is idempotent; the term is marked
    # done when its certificates are out, so a term is enqueued again only until then).
    from ops import outbox

    from .completion import terms_awaiting_certificates

    for term_id in terms_awaiting_certificates():
        outbox.enqueue("activities.tasks.issue_term_certificates", term_id)
    return {"sessions_held": held, "terms_changed": terms, "courses_closed": closed}
