"""End to end: orders → `manage.py match` → proposal → confirm → courses, sessions, bookings, registrations, 派单."""

import io
import json
from datetime import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from activities import orders as order_services
from activities.dispatch import selectors
from activities.dispatch import service as dispatch
from activities.dispatch.build import at, session_dates
from activities.dispatch.enums import Consent, MatchRunStatus, ProposedClassStatus
from activities.enums import CourseStatus, RegistrationStatus
from activities.matching.__main__ import main as matching_cli
from activities.models import (
    Course,
    MatchRun,
    Order,
    OrderEvent,
    ProposedClass,
    ProposedPlacement,
    Registration,
    Session,
    UnassignedOrder,
)
from community_college.errors import ConflictError, ScopeError
from community_college.models import Weekday
from interests.enums import OrderStatus
from tests.factories import CourseFactory, SessionFactory, UserFactory
from venues.enums import BookingStatus
from venues.models import Booking
from venues.services import booking_create

from .helpers import category, orders, resident, teacher, venue

pytestmark = pytest.mark.django_db


def match(*args) -> str:
    out = io.StringIO()
    call_command("match", *args, "--time-limit", "5", stdout=out)
    return out.getvalue()


def run_a(town, **kwargs) -> MatchRun:
    return dispatch.match_run(node=town.a, term=town.term, time_limit=5, **kwargs).run


def the_class(run) -> ProposedClass:
    (pc,) = run.proposed_classes.all()
    return pc


def statuses(objs) -> set[str]:
    return {Order.objects.get(pk=o.pk).status for o in objs}


# --- run and confirm -------------------------------------------------------------------------------------------


def test_match_command_stores_the_proposal(town, yoga):
    out = match("--scope", "community", "--node", town.a.code)
    run = MatchRun.objects.get()
    pc = the_class(run)
    assert (pc.category, pc.teacher, pc.venue, pc.slot, pc.term, pc.community) == (
        yoga.category,
        yoga.teacher,
        yoga.venue,
        town.mon,
        town.term,
        town.a,
    )
    assert (pc.status, pc.teacher_consent, pc.venue_consent, pc.size) == (
        ProposedClassStatus.PROPOSED,
        Consent.PENDING,
        Consent.NOT_REQUIRED,
        4,
    )
    assert sorted(pc.placements.values_list("order_id", flat=True)) == sorted(o.pk for o in yoga.orders)
    assert (run.status, run.classes, run.orders_total, run.orders_assigned, run.assigned_weight) == (
        MatchRunStatus.OPEN,
        1,
        4,
        4,
        4.0,
    )
    assert run.scope == "community" and run.community == town.a and run.created_by is None
    # Nothing moves before staff confirm: the orders are still accepted.
    assert statuses(yoga.orders) == {OrderStatus.ACCEPTED}
    assert "Proposal stored" in out and f"/admin/activities/matchrun/{run.pk}/change/" in out
    assert "4 orders, walking" in out


def test_confirm_creates_the_class_its_weekly_sessions_bookings_registrations_and_dispatches(town, yoga):
    pc = the_class(run_a(town))
    course = dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)

    assert (course.category, course.teacher, course.venue, course.slot, course.term, course.community) == (
        yoga.category,
        yoga.teacher,
        yoga.venue,
        town.mon,
        town.term,
        town.a,
    )
    assert (course.capacity, course.status, course.confirmed_count) == (10, CourseStatus.OPEN, 4)
    sessions = list(course.sessions.order_by("starts_at"))
    assert len(sessions) == town.mondays() == 9
    assert [(s.starts_at, s.ends_at) for s in sessions] == [
        (at(d, time(9)), at(d, time(10, 30)))
        for d in session_dates(Weekday.MONDAY, town.term.starts_on, town.term.ends_on)
    ]
    bookings = Booking.objects.filter(session__course=course)
    assert bookings.count() == 9 and set(bookings.values_list("status", flat=True)) == {
        BookingStatus.CONFIRMED
    }
    assert set(bookings.values_list("venue", flat=True)) == {yoga.venue.pk}
    regs = Registration.objects.filter(course=course)
    assert sorted(regs.values_list("order_id", "status", "placed_by")) == sorted(
        (o.pk, RegistrationStatus.CONFIRMED, town.staff_a.pk) for o in yoga.orders
    )
    for order in yoga.orders:
        order.refresh_from_db()
        assert (order.status, order.course) == (OrderStatus.DISPATCHED, course)
        last = order.events.order_by("id").last()
        assert (last.from_status, last.to_status, last.actor) == (
            OrderStatus.ACCEPTED,
            OrderStatus.DISPATCHED,
            town.staff_a,
        )
    pc.refresh_from_db()
    assert (pc.status, pc.course, pc.decided_by) == (ProposedClassStatus.CONFIRMED, course, town.staff_a)
    assert MatchRun.objects.get().status == MatchRunStatus.CLOSED


def test_running_again_creates_nothing_twice_and_keeps_confirmed_classes(town, yoga):
    first = run_a(town)
    second = run_a(town)
    assert (second.classes, second.orders_total, second.status) == (0, 0, MatchRunStatus.CLOSED)
    assert ProposedClass.objects.count() == 1 and ProposedPlacement.objects.count() == 4
    # The teacher's Monday and the room's Monday stay with the first proposal.
    assert "4 already in a proposed class" in match("--scope", "community", "--node", town.a.code)

    dispatch.proposed_class_confirm(proposed=the_class(first), actor=town.staff_a)
    third = run_a(town)
    assert (third.classes, third.orders_total) == (0, 0)
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count()) == (1, 9, 4)
    assert the_class(first).status == ProposedClassStatus.CONFIRMED
    with pytest.raises(ConflictError):
        dispatch.proposed_class_confirm(proposed=the_class(first), actor=town.staff_a)
    assert Course.objects.count() == 1


def test_a_new_order_is_placed_by_the_next_run_without_touching_the_proposal(town, yoga):
    first = run_a(town)
    cat = category("太极", min_size=2, facilities=())
    late = orders(2, town.a, cat, staff=town.staff_a)
    teacher([cat], windows=[(Weekday.TUESDAY, time(8), time(12))])
    venue(town.a, hours=[(Weekday.TUESDAY, time(8), time(12))])
    second = run_a(town)
    assert (second.classes, second.orders_total) == (1, 2)
    assert sorted(the_class(second).placements.values_list("order_id", flat=True)) == sorted(
        o.pk for o in late
    )
    assert the_class(first).status == ProposedClassStatus.PROPOSED


def test_replace_discards_the_old_proposal_and_proposes_afresh(town, yoga):
    first = run_a(town)
    second = run_a(town, replace=True)
    first.refresh_from_db()
    assert (first.status, the_class(first).status) == (
        MatchRunStatus.SUPERSEDED,
        ProposedClassStatus.DISCARDED,
    )
    assert the_class(second).status == ProposedClassStatus.PROPOSED
    assert ProposedPlacement.objects.filter(active=True).count() == 4


def test_partial_confirm_keeps_the_rest_proposed(town, yoga):
    chess = category("象棋", min_size=2, facilities=())
    chess_orders = orders(3, town.a, chess, staff=town.staff_a)
    teacher([chess], windows=[(Weekday.TUESDAY, time(8), time(12))])
    venue(town.a, hours=[(Weekday.TUESDAY, time(8), time(12))])
    run = run_a(town)
    yoga_class = run.proposed_classes.get(category=yoga.category)
    chess_class = run.proposed_classes.get(category=chess)

    dispatch.proposed_class_confirm(proposed=yoga_class, actor=town.staff_a)
    chess_class.refresh_from_db()
    run.refresh_from_db()
    assert (chess_class.status, run.status) == (ProposedClassStatus.PROPOSED, MatchRunStatus.OPEN)
    assert statuses(chess_orders) == {OrderStatus.ACCEPTED}
    assert run_a(town).classes == 0

    dispatch.proposed_class_confirm(proposed=chess_class, actor=town.street_staff)
    run.refresh_from_db()
    assert run.status == MatchRunStatus.CLOSED
    assert statuses(chess_orders) == {OrderStatus.DISPATCHED}
    assert Course.objects.count() == 2


def test_run_confirm_is_all_or_nothing(town, yoga):
    chess = category("象棋", min_size=2, facilities=())
    orders(3, town.a, chess, staff=town.staff_a)
    teacher([chess], windows=[(Weekday.TUESDAY, time(8), time(12))])
    room = venue(town.a, hours=[(Weekday.TUESDAY, time(8), time(12))])
    run = run_a(town)
    chess_class = run.proposed_classes.get(category=chess)
    day = session_dates(Weekday.TUESDAY, town.term.starts_on, town.term.ends_on)[-1]
    booking_create(venue=room, starts_at=at(day, time(10)), ends_at=at(day, time(11)))
    with pytest.raises(ConflictError):
        dispatch.run_confirm(run=run, actor=town.staff_a)
    # The yoga class, confirmed first in the same call, was rolled back with the chess class.
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count()) == (0, 0, 0)
    assert set(run.proposed_classes.values_list("status", flat=True)) == {ProposedClassStatus.PROPOSED}
    dispatch.proposed_class_discard(proposed=chess_class, actor=town.staff_a)
    assert len(dispatch.run_confirm(run=run, actor=town.staff_a)) == 1


# --- refusals at confirm ---------------------------------------------------------------------------------------


def test_a_conflicting_booking_at_confirm_rolls_everything_back(town, yoga, english):
    pc = the_class(run_a(town))
    # Someone books the room on the sixth Monday after the run.
    day = session_dates(Weekday.MONDAY, town.term.starts_on, town.term.ends_on)[5]
    blocker = booking_create(
        venue=yoga.venue, starts_at=at(day, time(10)), ends_at=at(day, time(12)), purpose="居民议事会"
    )
    events = OrderEvent.objects.count()

    with pytest.raises(ConflictError) as refused:
        dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    assert refused.value.code == "booking_overlap"
    assert f"{yoga.venue.name} is already booked on {day:%Y-%m-%d} at 09:00" in refused.value.messages[0]
    assert "nothing was saved" in refused.value.messages[0]
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count()) == (0, 0, 0)
    assert list(Booking.objects.all()) == [blocker]
    assert statuses(yoga.orders) == {OrderStatus.ACCEPTED} and OrderEvent.objects.count() == events
    pc.refresh_from_db()
    assert (pc.status, pc.course) == (ProposedClassStatus.PROPOSED, None)


def test_a_teacher_given_another_class_meanwhile_is_refused(town, yoga):
    pc = the_class(run_a(town))
    day = session_dates(Weekday.MONDAY, town.term.starts_on, town.term.ends_on)[2]
    other = CourseFactory(community=town.b, teacher=yoga.teacher)
    SessionFactory(course=other, venue=None, starts_at=at(day, time(10)), ends_at=at(day, time(11)))
    with pytest.raises(ConflictError) as refused:
        dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    assert refused.value.code == "teacher_busy"
    assert Course.objects.count() == 1  # only the other class


def test_confirm_is_refused_when_too_few_orders_are_still_open(town, yoga):
    pc = the_class(run_a(town))
    for order in yoga.orders[:2]:
        order_services.order_cancel(order=order, actor=order.resident)
    with pytest.raises(ConflictError) as refused:
        dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    assert refused.value.code == "too_few_orders"
    assert Course.objects.count() == 0


def test_an_order_closed_meanwhile_is_left_out_of_the_class(town, yoga):
    extra = orders(1, town.a, yoga.category, staff=town.staff_a)
    pc = the_class(run_a(town))
    assert pc.size == 5
    order_services.order_cancel(order=extra[0], actor=extra[0].resident)
    course = dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    assert course.registrations.count() == 4
    assert not ProposedPlacement.objects.get(order=extra[0]).active


# --- consent and re-dispatch -----------------------------------------------------------------------------------


def test_a_teacher_decline_frees_the_orders_and_the_next_run_avoids_that_teacher(town, yoga):
    other = teacher([yoga.category], km=2.0, name="李老师")
    pc = the_class(run_a(town))
    declined_teacher = pc.teacher
    dispatch.proposed_class_teacher_answer(proposed=pc, accept=False, actor=town.staff_a, note="周一要带孙子")
    pc.refresh_from_db()
    assert (pc.status, pc.teacher_consent, pc.note) == (
        ProposedClassStatus.DECLINED,
        Consent.DECLINED,
        "周一要带孙子",
    )
    assert statuses(yoga.orders) == {OrderStatus.ACCEPTED}
    assert not ProposedPlacement.objects.filter(active=True).exists()
    assert MatchRun.objects.get().status == MatchRunStatus.CLOSED

    again = the_class(run_a(town))
    assert again.teacher != declined_teacher
    assert again.teacher in (yoga.teacher, other)
    assert sorted(again.placements.values_list("order_id", flat=True)) == sorted(o.pk for o in yoga.orders)


def test_a_teacher_with_an_account_answers_for_themselves(town, yoga):
    yoga.teacher.user = UserFactory(name=yoga.teacher.name)
    yoga.teacher.save()
    pc = the_class(run_a(town))
    dispatch.proposed_class_teacher_answer(proposed=pc, accept=True, actor=yoga.teacher.user)
    pc.refresh_from_db()
    assert (pc.teacher_consent, pc.status, pc.teacher_answered_at is not None) == (
        Consent.ACCEPTED,
        ProposedClassStatus.PROPOSED,
        True,
    )
    assert list(selectors.classes_awaiting_teacher(yoga.teacher)) == []
    with pytest.raises(ScopeError):
        dispatch.proposed_class_teacher_answer(proposed=pc, accept=False, actor=UserFactory())


def test_a_venue_owner_decline_keeps_that_room_out_of_that_slot(town, yoga):
    yoga.venue.requires_confirmation = True
    yoga.venue.save()
    # Further from the residents than the first room, so the first run picks the first room.
    spare = venue(town.a, km=0.9, facilities=("dance_mirror",), name="养老服务中心")
    pc = the_class(run_a(town))
    assert pc.venue_consent == Consent.PENDING
    room = pc.venue
    dispatch.proposed_class_venue_answer(proposed=pc, accept=False, actor=town.staff_a)
    again = the_class(run_a(town))
    assert again.venue != room and again.venue in (yoga.venue, spare)


def test_venue_answer_is_refused_where_the_owner_is_not_asked(town, yoga):
    pc = the_class(run_a(town))
    with pytest.raises(ConflictError):
        dispatch.proposed_class_venue_answer(proposed=pc, accept=True, actor=town.staff_a)


def test_an_owner_who_accepted_gets_confirmed_bookings_otherwise_they_wait(town, yoga):
    yoga.venue.requires_confirmation = True
    yoga.venue.save()
    pc = the_class(run_a(town))
    dispatch.proposed_class_venue_answer(proposed=pc, accept=True, actor=town.staff_a)
    course = dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    assert set(Booking.objects.filter(session__course=course).values_list("status", flat=True)) == {
        BookingStatus.CONFIRMED
    }


def test_a_declined_class_cannot_be_confirmed_or_answered_again(town, yoga):
    pc = the_class(run_a(town))
    dispatch.proposed_class_teacher_answer(proposed=pc, accept=False, actor=None)
    with pytest.raises(ConflictError):
        dispatch.proposed_class_confirm(proposed=pc, actor=town.staff_a)
    with pytest.raises(ConflictError):
        dispatch.proposed_class_teacher_answer(proposed=pc, accept=True, actor=None)


# --- export, reasons, determinism ------------------------------------------------------------------------------


def test_export_writes_an_instance_the_pure_checker_accepts_with_the_stored_solution(
    town, yoga, tmp_path, capsys
):
    orders(2, town.a, category("无人教", min_size=2), staff=town.staff_a)
    path = tmp_path / "instance.json"
    match("--scope", "community", "--node", town.a.code, "--export", str(path))
    run = MatchRun.objects.get()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == run.instance and len(data["orders"]) == 6
    solution = tmp_path / "solution.json"
    solution.write_text(json.dumps(run.solution), encoding="utf-8")
    assert matching_cli(["check", str(path), str(solution)]) == 0
    assert "feasible: every rule holds" in capsys.readouterr().out


def test_every_unplaced_order_is_stored_with_its_reason_and_counted_for_the_dashboards(town, yoga):
    nobody = category("无人教", min_size=2)
    untaught = orders(2, town.a, nobody, staff=town.staff_a)
    never = resident(town.a, free=[(Weekday.SUNDAY, time(6), time(7))])
    odd = order_services.order_accept(
        order=order_services.order_place(resident=never, category=yoga.category), actor=town.staff_a
    )
    run = run_a(town)
    assert sorted(run.unassigned.values_list("order_id", "reason")) == sorted(
        [(o.pk, "no_teacher") for o in untaught] + [(odd.pk, "no_common_slot")]
    )
    expected = [
        selectors.ReasonCount(town.a.pk, yoga.category.pk, "no_common_slot", 1),
        selectors.ReasonCount(town.a.pk, nobody.pk, "no_teacher", 2),
    ]
    expected.sort()
    assert selectors.unassigned_reason_counts(scope_of(town.staff_a)) == expected
    assert selectors.unassigned_reason_counts(scope_of(town.staff_b)) == []
    # A second run explains the same orders again: counted once, with the latest reason.
    run_a(town)
    assert selectors.unassigned_reason_counts(scope_of(town.district_office)) == expected
    assert selectors.unassigned_reason_counts(scope_of(town.staff_a), run=run) == expected
    assert UnassignedOrder.objects.count() == 6
    # An order that leaves the pool leaves the count.
    order_services.order_cancel(order=untaught[0], actor=untaught[0].resident)
    assert [
        r.count for r in selectors.unassigned_reason_counts(scope_of(town.staff_a), category_ids=[nobody.pk])
    ] == [1]


def scope_of(user):
    from accounts.selectors import scope_for

    return scope_for(user)


def test_the_same_data_and_seed_give_the_same_proposal(town, yoga):
    chess = category("象棋", min_size=2, facilities=())
    orders(5, town.a, chess, staff=town.staff_a)
    teacher([chess], windows=[(Weekday.TUESDAY, time(8), time(12))])
    venue(town.a, hours=[(Weekday.TUESDAY, time(8), time(12))])
    results = [
        dispatch.match_run(node=town.a, term=town.term, time_limit=5, seed=7, dry_run=True).solution.to_dict()
        for _ in range(2)
    ]
    assert results[0] == results[1] and len(results[0]["classes"]) == 2
    assert MatchRun.objects.count() == 0


def test_greedy_is_available_from_the_command(town, yoga):
    out = match("--scope", "community", "--node", town.a.code, "--greedy")
    assert out.startswith(f"Run #{MatchRun.objects.get().pk}") and "Greedy:" in out
    assert MatchRun.objects.get().solver == "greedy"


# --- scope -----------------------------------------------------------------------------------------------------


def test_staff_run_only_their_own_node(town, yoga):
    assert (
        dispatch.match_run(node=town.a, term=town.term, actor=town.staff_a, time_limit=5).run.created_by
        == town.staff_a
    )
    assert (
        dispatch.match_run(node=town.street, term=town.term, actor=town.street_staff, time_limit=5).run.scope
        == "street"
    )
    for actor, node in [
        (town.staff_a, town.b),
        (town.staff_a, town.street),  # a community's staff cannot pool the whole street
        (town.other_street_staff, town.a),
        (town.district_office, town.a),  # the district office reads only
        (town.street_staff, town.district),
    ]:
        with pytest.raises(ScopeError):
            dispatch.match_run(node=node, term=town.term, actor=actor, time_limit=5)


def test_staff_confirm_decline_and_discard_only_classes_of_their_scope(town, yoga, english):
    pc = the_class(run_a(town))
    for actor in (town.staff_b, town.other_street_staff, town.district_office):
        with pytest.raises(ScopeError):
            dispatch.proposed_class_confirm(proposed=pc, actor=actor)
        with pytest.raises(ScopeError):
            dispatch.proposed_class_teacher_answer(proposed=pc, accept=False, actor=actor)
        with pytest.raises(ScopeError):
            dispatch.proposed_class_venue_answer(proposed=pc, accept=False, actor=actor)
        with pytest.raises(ScopeError):
            dispatch.proposed_class_discard(proposed=pc, actor=actor)
        # A whole run: classes outside the actor's scope are not theirs to confirm or discard.
        with pytest.raises(ConflictError, match="left for you"):
            dispatch.run_confirm(run=pc.run, actor=actor)
        with pytest.raises(ConflictError, match="left for you"):
            dispatch.run_discard(run=pc.run, actor=actor)
    assert (ProposedClass.objects.get().status, Course.objects.count()) == (ProposedClassStatus.PROPOSED, 0)
    dispatch.proposed_class_confirm(proposed=pc, actor=town.street_staff)
    assert Course.objects.count() == 1


def test_the_command_names_what_it_cannot_find(town, english):
    with pytest.raises(CommandError, match="No Community has the id or code “nowhere”"):
        match("--scope", "community", "--node", "nowhere")
    with pytest.raises(CommandError, match="Name the Community"):
        match("--scope", "community")
    with pytest.raises(CommandError, match="only run the matching for your own"):
        match("--scope", "community", "--node", town.b.code, "--user", town.staff_a.phone)


def test_the_solver_moves_a_class_to_let_another_in(town, yoga):
    """The greedy opens the larger class in the only mirrored room; the search's cross-category regions (every
    category's classes at nearby venues freed together) move it to the free Tuesday room and let the smaller
    class in: the optimum, 9 (a search of one category at a time found 5)."""
    chess = category("象棋", min_size=2, facilities=())
    orders(5, town.a, chess, staff=town.staff_a)
    teacher([chess], windows=[(Weekday.MONDAY, time(8), time(12)), (Weekday.TUESDAY, time(8), time(12))])
    venue(town.a, hours=[(Weekday.TUESDAY, time(8), time(12))])
    assert run_a(town).orders_assigned == 9


def test_two_runs_at_once_never_place_an_order_twice(town, yoga):
    inner = []

    def meanwhile(_instance):
        # Another run of the same community finishes while this one is solving.
        inner.append(dispatch.match_run(node=town.a, term=town.term, time_limit=5).run)

    with pytest.raises(ConflictError) as refused:
        dispatch.match_run(node=town.a, term=town.term, time_limit=5, on_instance=meanwhile)
    assert refused.value.code == "concurrent_run"
    assert list(MatchRun.objects.all()) == inner
    assert ProposedPlacement.objects.filter(active=True).count() == 4
