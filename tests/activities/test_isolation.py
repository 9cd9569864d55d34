"""Registrations, waiting lists, sessions and cancellations touch the target class and nothing else.

Every test runs with two communities and three classes (two in community `a`, one in `b`) and compares the
rows that were not the target before and after the call: a service that lost its `pk=` or `course_id=`
condition changes them (issue 23's surviving mutants).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities import registration_sql, services
from activities.enums import CourseStatus, RegistrationStatus, SessionStatus
from activities.models import Course, Registration, Session
from community_college.errors import ConflictError, ScopeError
from tests.factories import BookingFactory, RegistrationFactory, SessionFactory, VenueFactory
from tests.factories.pairs import snapshot, two_of_everything
from venues.enums import BookingStatus
from venues.models import Booking

pytestmark = pytest.mark.django_db

CONFIRMED, WAITLISTED, CANCELLED = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.CANCELLED,
)


@pytest.fixture
def pair():
    return two_of_everything(capacity=2)


def _courses(*courses):
    return snapshot(Course.objects.filter(pk__in=[c.pk for c in courses]), "status", "confirmed_count")


def _registrations(*courses):
    return snapshot(Registration.objects.filter(course__in=courses), "status", "status_changed", "course_id")


def _fill(course, n):
    """`n` residents registered through the service, in order."""
    return [services.registration_create(course=course, resident=_resident_of(course)) for _ in range(n)]


def _resident_of(course):
    from tests.factories import ResidentFactory

    return ResidentFactory(profile__community=course.community)


def test_registration_takes_a_place_in_its_class_only(pair):
    others = _courses(pair.a2, pair.b1)
    reg = services.registration_create(course=pair.a1, resident=pair.resident())
    assert reg.status == CONFIRMED
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 1
    assert _courses(pair.a2, pair.b1) == others
    assert list(Registration.objects.values_list("course_id", flat=True)) == [pair.a1.pk]


def test_registration_in_a_full_class_waits_while_other_classes_have_room(pair):
    _fill(pair.a1, 2)
    reg = services.registration_create(course=pair.a1, resident=pair.resident())
    assert reg.status == WAITLISTED
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 2
    assert _courses(pair.a2, pair.b1) == {
        pair.a2.pk: {"pk": pair.a2.pk, "status": CourseStatus.OPEN, "confirmed_count": 0},
        pair.b1.pk: {"pk": pair.b1.pk, "status": CourseStatus.OPEN, "confirmed_count": 0},
    }


@pytest.mark.parametrize("places_left", [0, 2])
def test_registration_in_a_closed_class_is_refused_while_another_class_is_open(pair, places_left):
    """The "still open?" check is about this class: another open class must not let residents queue here."""
    Course.objects.filter(pk=pair.a1.pk).update(status=CourseStatus.CLOSED, capacity=2, confirmed_count=2 - places_left)
    pair.a1.refresh_from_db()
    with pytest.raises(ConflictError) as excinfo:
        services.registration_create(course=pair.a1, resident=pair.resident())
    assert excinfo.value.code == "course_closed"
    assert Registration.objects.count() == 0
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 2 - places_left


def test_registration_by_staff_of_the_class_community_is_allowed_and_recorded(pair):
    resident = pair.resident()
    reg = services.registration_create(course=pair.a1, resident=resident, placed_by=pair.staff_a)
    assert (reg.resident, reg.placed_by, reg.status) == (resident, pair.staff_a, CONFIRMED)


def test_registration_by_staff_of_another_community_is_refused(pair):
    with pytest.raises(ScopeError) as excinfo:
        services.registration_create(course=pair.a1, resident=pair.resident(), placed_by=pair.staff_b)
    assert excinfo.value.code == "scope"
    assert Registration.objects.count() == 0
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 0


def test_registration_by_the_resident_records_them_as_placer(pair):
    resident = pair.resident(pair.b)
    reg = services.registration_create(course=pair.a1, resident=resident, placed_by=resident)
    assert reg.placed_by == resident


def test_registration_twice_returns_the_live_one_of_this_class(pair):
    """Idempotence is per class: a live registration elsewhere is not an answer."""
    resident = pair.resident()
    in_a2 = services.registration_create(course=pair.a2, resident=resident)
    in_a1 = services.registration_create(course=pair.a1, resident=resident)
    assert in_a1.pk != in_a2.pk
    assert (in_a1.course_id, in_a2.course_id) == (pair.a1.pk, pair.a2.pk)
    assert services.registration_create(course=pair.a1, resident=resident).pk == in_a1.pk
    # A cancelled registration is not live: registering again makes a new one.
    services.registration_cancel(registration=in_a1, actor=resident)
    again = services.registration_create(course=pair.a1, resident=resident)
    assert again.pk not in (in_a1.pk, in_a2.pk)
    assert again.status == CONFIRMED


def test_registration_announces_its_status(pair, django_capture_on_commit_callbacks):
    """Each registration schedules its notice: confirmed, then waitlisted once the class is full."""
    with django_capture_on_commit_callbacks() as callbacks:
        regs = _fill(pair.a1, 3)
    # Notices leave through the transactional outbox (ops/outbox.py): one message per registration, each
    # naming its own row and status (other callbacks, such as the token cache's user hook, are not counted).
    announced = [
        tuple(callback.args[0].args)
        for callback in callbacks
        if getattr(getattr(callback, "args", (None,))[0], "task_name", "") == "notices.tasks.notify_registration"
    ]
    assert announced == [(regs[0].pk, "confirmed"), (regs[1].pk, "confirmed"), (regs[2].pk, "waitlisted")]


def test_cancel_promotes_the_first_waiting_of_the_same_class(pair):
    # b1's waiting resident queued first: a promotion that ignores the class would pick them.
    b_confirmed = _fill(pair.b1, 2)
    b_waiting = services.registration_create(course=pair.b1, resident=pair.resident(pair.b))
    a_confirmed = _fill(pair.a1, 2)
    a_waiting = [services.registration_create(course=pair.a1, resident=pair.resident()) for _ in range(2)]
    b_before = _registrations(pair.b1)
    courses_before = _courses(pair.a2, pair.b1)

    promoted = services.registration_cancel(registration=a_confirmed[0], actor=a_confirmed[0].resident)

    assert promoted.pk == a_waiting[0].pk
    statuses = dict(Registration.objects.filter(course=pair.a1).values_list("pk", "status"))
    assert statuses == {
        a_confirmed[0].pk: CANCELLED,
        a_confirmed[1].pk: CONFIRMED,
        a_waiting[0].pk: CONFIRMED,
        a_waiting[1].pk: WAITLISTED,
    }
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 2
    assert _registrations(pair.b1) == b_before
    assert _courses(pair.a2, pair.b1) == courses_before
    assert services.waitlist_position(registration=b_waiting) == 1
    assert len(b_confirmed) == 2


def test_cancel_without_a_waiting_list_frees_the_place_of_its_class_only(pair):
    """a1 has no one waiting; b1 does, and must not be served from a1's freed place."""
    _fill(pair.b1, 2)
    b_waiting = services.registration_create(course=pair.b1, resident=pair.resident(pair.b))
    (a_reg,) = _fill(pair.a1, 1)
    _fill(pair.a2, 1)

    assert services.registration_cancel(registration=a_reg, actor=a_reg.resident) is None

    assert _courses(pair.a1, pair.a2, pair.b1) == {
        pair.a1.pk: {"pk": pair.a1.pk, "status": CourseStatus.OPEN, "confirmed_count": 0},
        pair.a2.pk: {"pk": pair.a2.pk, "status": CourseStatus.OPEN, "confirmed_count": 1},
        pair.b1.pk: {"pk": pair.b1.pk, "status": CourseStatus.OPEN, "confirmed_count": 2},
    }
    b_waiting.refresh_from_db()
    assert b_waiting.status == WAITLISTED


def test_cancel_updates_the_callers_instance_and_the_row(pair):
    (reg,) = _fill(pair.a1, 1)
    before = timezone.now()
    services.registration_cancel(registration=reg, actor=reg.resident)
    assert reg.status == CANCELLED
    row = Registration.objects.get(pk=reg.pk)
    assert row.status == CANCELLED
    assert row.status_changed >= before


def test_cancel_twice_changes_nothing_the_second_time(pair):
    regs = _fill(pair.a1, 2)
    waiting = services.registration_create(course=pair.a1, resident=pair.resident())
    services.registration_cancel(registration=regs[0], actor=regs[0].resident)
    before = _registrations(pair.a1), _courses(pair.a1)
    assert services.registration_cancel(registration=regs[0], actor=regs[0].resident) is None
    assert (_registrations(pair.a1), _courses(pair.a1)) == before
    waiting.refresh_from_db()
    assert waiting.status == CONFIRMED


def test_cancel_of_a_waiting_registration_frees_no_place_and_moves_no_one_up(pair):
    regs = _fill(pair.a1, 2)
    first, second = (services.registration_create(course=pair.a1, resident=pair.resident()) for _ in range(2))
    before = _courses(pair.a1, pair.a2, pair.b1)
    assert services.registration_cancel(registration=first, actor=first.resident) is None
    assert _courses(pair.a1, pair.a2, pair.b1) == before
    assert dict(Registration.objects.filter(course=pair.a1).values_list("pk", "status")) == {
        regs[0].pk: CONFIRMED,
        regs[1].pk: CONFIRMED,
        first.pk: CANCELLED,
        second.pk: WAITLISTED,
    }


def test_cancel_by_staff_of_the_residents_class_community_is_allowed(pair):
    regs = _fill(pair.a1, 2)
    waiting = services.registration_create(course=pair.a1, resident=pair.resident())
    promoted = services.registration_cancel(registration=regs[0], actor=pair.staff_a)
    assert promoted.pk == waiting.pk
    assert Registration.objects.get(pk=regs[0].pk).status == CANCELLED


def test_cancel_by_street_staff_over_the_class_community_is_allowed(pair):
    (reg,) = _fill(pair.b1, 1)
    services.registration_cancel(registration=reg, actor=pair.street_staff)
    assert Registration.objects.get(pk=reg.pk).status == CANCELLED


@pytest.mark.parametrize("who", ["staff_b", "other_resident"])
def test_cancel_by_someone_outside_the_class_community_is_refused(pair, who):
    regs = _fill(pair.a1, 2)
    services.registration_create(course=pair.a1, resident=pair.resident())
    actor = pair.staff_b if who == "staff_b" else pair.resident()
    before = _registrations(pair.a1), _courses(pair.a1)
    with pytest.raises(ScopeError) as excinfo:
        services.registration_cancel(registration=regs[0], actor=actor)
    assert excinfo.value.code == "scope"
    assert (_registrations(pair.a1), _courses(pair.a1)) == before


def test_waitlist_position_counts_the_queue_of_its_own_class(pair):
    _fill(pair.b1, 2)
    b_waiting = [services.registration_create(course=pair.b1, resident=pair.resident(pair.b)) for _ in range(3)]
    confirmed = _fill(pair.a1, 2)
    a_waiting = [services.registration_create(course=pair.a1, resident=pair.resident()) for _ in range(2)]
    assert [services.waitlist_position(registration=r) for r in a_waiting] == [1, 2]
    assert [services.waitlist_position(registration=r) for r in b_waiting] == [1, 2, 3]
    assert services.waitlist_position(registration=confirmed[0]) is None


def test_waitlist_position_breaks_ties_on_id_within_the_class(pair):
    """Residents who queued in the same microsecond are served by id; cancelled ones do not count."""
    same_moment = timezone.now() - timedelta(hours=1)
    regs = [RegistrationFactory(course=pair.a1, status=WAITLISTED) for _ in range(3)]
    other = RegistrationFactory(course=pair.a2, status=WAITLISTED)
    gone = RegistrationFactory(course=pair.a1, status=CANCELLED)
    Registration.objects.filter(pk__in=[r.pk for r in [*regs, other, gone]]).update(created=same_moment)
    for r in [*regs, other, gone]:
        r.refresh_from_db()
    assert [services.waitlist_position(registration=r) for r in regs] == [1, 2, 3]
    assert services.waitlist_position(registration=other) == 1
    # The first by id is the one promoted when a place frees up.
    Course.objects.filter(pk=pair.a1.pk).update(confirmed_count=1)
    assert services.promote_from_waitlist(course_id=pair.a1.pk).pk == regs[0].pk


def test_promote_takes_a_place_of_its_class_only(pair):
    RegistrationFactory(course=pair.b1, status=WAITLISTED)
    waiting = RegistrationFactory(course=pair.a1, status=WAITLISTED)
    others = _courses(pair.a2, pair.b1)
    promoted = services.promote_from_waitlist(course_id=pair.a1.pk)
    assert promoted.pk == waiting.pk
    row = Registration.objects.get(pk=waiting.pk)
    assert row.status == CONFIRMED
    assert row.status_changed is not None
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 1
    assert _courses(pair.a2, pair.b1) == others


def test_promote_into_a_full_class_promotes_no_one(pair):
    Course.objects.filter(pk=pair.a1.pk).update(confirmed_count=2)
    waiting = RegistrationFactory(course=pair.a1, status=WAITLISTED)
    assert services.promote_from_waitlist(course_id=pair.a1.pk) is None
    assert Registration.objects.get(pk=waiting.pk).status == WAITLISTED


def _at(days, hours=10):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=hours)


@pytest.mark.parametrize(("course_capacity", "expected"), [(20, 12), (8, 8)])
def test_session_schedule_holds_its_venue_with_the_smaller_capacity(pair, course_capacity, expected):
    Course.objects.filter(pk=pair.a1.pk).update(capacity=course_capacity)
    pair.a1.refresh_from_db()
    session = services.session_schedule(
        course=pair.a1, starts_at=_at(3), ends_at=_at(3, 12), venue=pair.venue_a, actor=pair.staff_a
    )
    session.refresh_from_db()
    assert (session.course, session.venue, session.capacity) == (pair.a1, pair.venue_a, expected)
    assert (session.starts_at, session.ends_at) == (_at(3), _at(3, 12))
    booking = Booking.objects.get()
    assert (booking.venue, booking.session, booking.booked_by, booking.purpose) == (
        pair.venue_a,
        session,
        pair.staff_a,
        pair.a1.title,
    )
    assert (booking.starts_at, booking.ends_at, booking.status) == (_at(3), _at(3, 12), BookingStatus.CONFIRMED)
    assert not Booking.objects.filter(venue=pair.venue_b).exists()


def test_session_schedule_without_a_venue_books_nothing(pair):
    session = services.session_schedule(course=pair.a1, starts_at=_at(3), ends_at=_at(3, 12))
    session.refresh_from_db()
    assert (session.venue, session.capacity) == (None, pair.a1.capacity)
    assert Booking.objects.count() == 0


def test_session_schedule_in_a_taken_venue_saves_nothing(pair):
    BookingFactory(venue=pair.venue_a, starts_at=_at(3), ends_at=_at(3, 12))
    with pytest.raises(ConflictError):
        services.session_schedule(course=pair.a1, starts_at=_at(3, 11), ends_at=_at(3, 13), venue=pair.venue_a)
    assert Session.objects.count() == 0
    # The other venue at the same time is free.
    services.session_schedule(course=pair.a1, starts_at=_at(3, 11), ends_at=_at(3, 13), venue=pair.venue_b)
    assert Booking.objects.filter(venue=pair.venue_b).count() == 1


def test_session_schedule_refuses_an_end_before_the_start(pair):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.session_schedule(course=pair.a1, starts_at=_at(3, 12), ends_at=_at(3), venue=pair.venue_a)
    assert (Session.objects.count(), Booking.objects.count()) == (0, 0)


def _class_with_life(course, venue):
    """Two coming meetings with their rooms, one past meeting, two confirmed and one waiting resident."""
    coming = [
        SessionFactory(course=course, venue=venue, starts_at=_at(d), ends_at=_at(d, 12)) for d in (2, 9)
    ]
    past = SessionFactory(course=course, venue=venue, starts_at=_at(-7), ends_at=_at(-7, 12))
    for s in [*coming, past]:
        BookingFactory(venue=venue, session=s, starts_at=s.starts_at, ends_at=s.ends_at)
    _fill(course, 3)
    return coming, past


def test_course_cancel_touches_its_own_class_only(pair):
    coming, past = _class_with_life(pair.a1, pair.venue_a)
    _class_with_life(pair.a2, pair.venue_b)
    # A room of its own: the same hours in venue_b would overlap a2's bookings (PostgreSQL refuses that).
    _class_with_life(pair.b1, VenueFactory(community=pair.b, capacity=40))
    others = (
        _courses(pair.a2, pair.b1),
        _registrations(pair.a2, pair.b1),
        snapshot(Session.objects.exclude(course=pair.a1), "status"),
        snapshot(Booking.objects.exclude(session__course=pair.a1), "status"),
    )

    cancelled = services.course_cancel(course=pair.a1, actor=pair.staff_a)

    assert (cancelled.status, cancelled.confirmed_count) == (CourseStatus.CANCELLED, 0)
    assert (pair.a1.status, pair.a1.confirmed_count) == (CourseStatus.CANCELLED, 0)
    row = Course.objects.get(pk=pair.a1.pk)
    assert (row.status, row.confirmed_count) == (CourseStatus.CANCELLED, 0)
    assert set(Registration.objects.filter(course=pair.a1).values_list("status", flat=True)) == {CANCELLED}
    assert {s.pk: Session.objects.get(pk=s.pk).status for s in coming} == {
        s.pk: SessionStatus.CANCELLED for s in coming
    }
    assert Session.objects.get(pk=past.pk).status == SessionStatus.SCHEDULED
    assert set(Booking.objects.filter(session__in=coming).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }
    assert Booking.objects.get(session=past).status == BookingStatus.CONFIRMED
    assert (
        _courses(pair.a2, pair.b1),
        _registrations(pair.a2, pair.b1),
        snapshot(Session.objects.exclude(course=pair.a1), "status"),
        snapshot(Booking.objects.exclude(session__course=pair.a1), "status"),
    ) == others


def test_course_cancel_by_staff_of_another_community_is_refused(pair):
    _class_with_life(pair.a1, pair.venue_a)
    before = (
        _courses(pair.a1),
        _registrations(pair.a1),
        snapshot(Session.objects.all(), "status"),
        snapshot(Booking.objects.all(), "status"),
    )
    with pytest.raises(ScopeError):
        services.course_cancel(course=pair.a1, actor=pair.staff_b)
    assert (
        _courses(pair.a1),
        _registrations(pair.a1),
        snapshot(Session.objects.all(), "status"),
        snapshot(Booking.objects.all(), "status"),
    ) == before


def test_course_cancel_twice_keeps_the_first_outcome(pair, django_capture_on_commit_callbacks):
    _class_with_life(pair.a1, pair.venue_a)
    services.course_cancel(course=pair.a1, actor=pair.staff_a)
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.course_cancel(course=pair.a1, actor=pair.staff_a)
    assert again.status == CourseStatus.CANCELLED
    assert callbacks == []


def _message(excinfo):
    return excinfo.value.messages[0]


def test_refusals_say_why_in_the_residents_language(pair):
    """The msgids are what the translators see; each refusal keeps its own (English under "en")."""
    from django.utils import translation

    Course.objects.filter(pk=pair.a2.pk).update(status=CourseStatus.CLOSED)
    pair.a2.refresh_from_db()
    with translation.override("en"):
        with pytest.raises(ScopeError) as scope:
            services.registration_create(course=pair.a1, resident=pair.resident(), placed_by=pair.staff_b)
        with pytest.raises(ConflictError) as closed:
            services.registration_create(course=pair.a2, resident=pair.resident())
    assert _message(scope) == "You can only register residents for classes of your own community."
    assert (_message(closed), closed.value.code) == ("This class is not open for registration.", "course_closed")


def test_registration_without_a_placer_is_placed_by_the_resident_and_keeps_its_order(pair):
    from tests.factories import OrderFactory

    resident = pair.resident()
    order = OrderFactory(resident=resident)
    reg = services.registration_create(course=pair.a1, resident=resident, order=order)
    row = Registration.objects.get(pk=reg.pk)
    assert (row.placed_by, row.order) == (resident, order)


def test_registration_twice_costs_one_query(pair, django_assert_num_queries):
    """A double-click is answered from the live registration: one SELECT, no place taken and given back."""
    resident = pair.resident()
    first = services.registration_create(course=pair.a1, resident=resident)
    with django_assert_num_queries(1):
        assert services.registration_create(course=pair.a1, resident=resident).pk == first.pk


def test_registration_that_loses_the_race_returns_the_winners_row(pair):
    """Another request of the same resident inserts between our check and our insert: the unique index
    refuses ours, and the service answers with the winner's registration of this class, with no place
    taken twice. The competing insert is made at our savepoint (the ORM path), or just before the one
    statement that registers on PostgreSQL (activities/registration_sql.py): the exact moment of the race."""
    from django.db import connection

    resident = pair.resident()
    other = pair.resident()
    services.registration_create(course=pair.a1, resident=other)
    old = services.registration_create(course=pair.a1, resident=resident)
    services.registration_cancel(registration=old, actor=resident)
    elsewhere = services.registration_create(course=pair.a2, resident=resident)
    winner = {}
    registering = {registration_sql._register().execute, registration_sql._register().text}

    def competitor(execute, sql, params, many, context):
        # The statement runs prepared (community_college/prepared.py): its EXECUTE, not its PREPARE; behind
        # PgBouncer it is sent as text.
        if not winner and (sql.startswith("SAVEPOINT") or sql in registering):
            winner["row"] = Registration.objects.create(course=pair.a1, resident=resident, status=CONFIRMED)
            Course.objects.filter(pk=pair.a1.pk).update(confirmed_count=2)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(competitor):
        answer = services.registration_create(course=pair.a1, resident=resident)
    assert answer.pk == winner["row"].pk
    assert answer.pk not in (old.pk, elsewhere.pk)
    if connection.vendor == "postgresql":
        # The one statement reads the winner's row and its class's facts as they stand after the competitor.
        assert (answer.queue.confirmed_count, answer.queue.waiting, answer.queue.position) == (2, 0, None)
    else:
        assert answer.queue is None  # the winner's place and queue are read afresh, not taken from this write
    assert Course.objects.get(pk=pair.a1.pk).confirmed_count == 2


def test_promote_serves_the_earliest_queued_not_the_lowest_id(pair):
    late = RegistrationFactory(course=pair.a1, status=WAITLISTED)
    early = RegistrationFactory(course=pair.a1, status=WAITLISTED)
    Registration.objects.filter(pk=early.pk).update(created=timezone.now() - timedelta(days=1))
    assert services.promote_from_waitlist(course_id=pair.a1.pk).pk == early.pk
    assert Registration.objects.get(pk=late.pk).status == WAITLISTED


@pytest.mark.django_db(transaction=True)
def test_promote_skips_a_waiting_row_another_transaction_holds(on_postgres):
    """Two places freed at once: while one transaction holds the first waiting resident's row, another
    promotion serves the next resident instead of queueing behind the lock (skip_locked)."""
    import threading

    from django.db import connection, transaction

    pair = two_of_everything(capacity=3)
    first, second = (RegistrationFactory(course=pair.a1, status=WAITLISTED) for _ in range(2))
    Course.objects.filter(pk=pair.a1.pk).update(confirmed_count=1)
    holding, release = threading.Event(), threading.Event()

    def hold_first():
        try:
            with transaction.atomic():
                Registration.objects.select_for_update().get(pk=first.pk)
                holding.set()
                release.wait(timeout=10)  # a safety valve only: the test releases it as soon as it can
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with transaction.atomic():
            promoted = services.promote_from_waitlist(course_id=pair.a1.pk)
    finally:
        release.set()
        holder.join()
    assert promoted.pk == second.pk
    assert dict(Registration.objects.filter(course=pair.a1).values_list("pk", "status")) == {
        first.pk: WAITLISTED,
        second.pk: CONFIRMED,
    }


def test_the_state_shown_after_registering_is_that_of_its_own_class(pair):
    """The status block right after a write (registration_state reads `queue` when the write knew it)."""
    from activities.selectors import registration_state

    r1, r2, r3 = (pair.resident() for _ in range(3))
    services.registration_create(course=pair.a2, resident=r3)  # a place in another class

    def shown(registration):
        state = registration_state(
            course=Course.objects.get(pk=pair.a1.pk), user=registration.resident, registration=registration
        )
        return state.registration.pk, state.position, state.waiting, state.free_places, state.is_open

    # Each block is read right after its write, as the page after the POST does (on PostgreSQL the write
    # itself returns its class's facts; elsewhere they are read afresh).
    first = services.registration_create(course=pair.a1, resident=r1)
    assert shown(first) == (first.pk, None, 0, 1, True)
    services.registration_create(course=pair.a1, resident=r2)
    waiting = services.registration_create(course=pair.a1, resident=r3)
    assert shown(waiting) == (waiting.pk, 1, 1, 0, True)
    again = services.registration_create(course=pair.a1, resident=r3)  # a double-click
    assert shown(again) == (waiting.pk, 1, 1, 0, True)


def _refusal(call, exc, **kwargs):
    """Run `call` expecting `exc`; the error's English message and code."""
    from django.utils import translation

    with translation.override("en"), pytest.raises(exc) as excinfo:
        call(**kwargs)
    return excinfo.value.messages[0], excinfo.value.code


def test_a_meeting_is_changed_only_by_its_community_and_only_before_it_starts(pair):
    soon = timezone.now().replace(microsecond=0) + timedelta(days=3)
    mine = services.session_schedule(
        course=pair.a1,
        venue=pair.venue_a,
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
        actor=pair.staff_a,
    )
    theirs = services.session_schedule(
        course=pair.b1,
        venue=pair.venue_b,
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
        actor=pair.staff_b,
    )
    started = SessionFactory(course=pair.a1, venue=None, starts_at=timezone.now() - timedelta(minutes=5))
    sessions = lambda: snapshot(Session.objects.all(), "status", "starts_at", "venue_id")  # noqa: E731
    bookings = lambda: snapshot(Booking.objects.all(), "status", "starts_at", "venue_id")  # noqa: E731
    before = sessions(), bookings()
    elsewhere = ("This class belongs to another community.", "scope")
    assert _refusal(services.session_cancel, ScopeError, session=theirs, actor=pair.staff_a) == elsewhere
    assert (
        _refusal(
            services.session_reschedule,
            ScopeError,
            session=mine,
            actor=pair.staff_b,
            starts_at=soon + timedelta(days=1),
            ends_at=soon + timedelta(days=1, hours=1),
        )
        == elsewhere
    )
    too_late = ("Only a meeting that has not started yet can be changed.", "session_not_changeable")
    assert _refusal(services.session_cancel, ConflictError, session=started, actor=pair.staff_a) == too_late
    assert (sessions(), bookings()) == before
    services.session_cancel(session=mine, actor=pair.staff_a)
    assert _refusal(services.session_cancel, ConflictError, session=mine, actor=pair.staff_a) == too_late
    # Only that meeting and its room were let go.
    after = sessions(), bookings()
    assert {pk: row["status"] for pk, row in after[0].items() if row != before[0][pk]} == {
        mine.pk: SessionStatus.CANCELLED
    }
    assert {row["status"] for pk, row in after[1].items() if row != before[1][pk]} == {
        BookingStatus.CANCELLED
    }
    assert (
        Booking.objects.get(session=theirs).status
        == before[1][Booking.objects.get(session=theirs).pk]["status"]
    )


def test_a_place_in_another_class_does_not_put_a_resident_on_this_roll(pair):
    from activities.enums import AttendanceStatus
    from activities.models import Attendance

    meeting = SessionFactory(course=pair.a1, venue=None, starts_at=timezone.now() - timedelta(minutes=10))
    resident = pair.resident()
    services.registration_create(course=pair.a2, resident=resident)
    present = AttendanceStatus.PRESENT
    assert (
        _refusal(
            services.attendance_record,
            ConflictError,
            session=meeting,
            resident=resident,
            status=present,
            actor=pair.staff_a,
        )[1]
        == "not_registered"
    )
    assert not Attendance.objects.exists()
    row = services.attendance_record(
        session=meeting, resident=resident, status=present, actor=pair.staff_a, walk_in=True
    )
    assert (row.session_id, row.walk_in, row.attended) == (meeting.pk, True, True)


def test_walk_ins_take_the_seats_of_their_own_meeting_only(pair):
    from activities.enums import AttendanceStatus

    # 1 of 2 places taken, before the meetings are over.
    services.registration_create(course=pair.a1, resident=pair.resident())
    ago = timezone.now() - timedelta(minutes=10)
    meeting, other_meeting = (
        SessionFactory(course=pair.a1, venue=None, starts_at=ago - timedelta(days=d)) for d in (0, 7)
    )
    present = AttendanceStatus.PRESENT
    walk_in = {"status": present, "actor": pair.staff_a, "walk_in": True}
    services.attendance_record(session=other_meeting, resident=pair.resident(), **walk_in)
    services.attendance_record(session=meeting, resident=pair.resident(), **walk_in)
    refused = _refusal(
        services.attendance_record, ConflictError, session=meeting, resident=pair.resident(), **walk_in
    )
    assert refused[1] == "no_room"
