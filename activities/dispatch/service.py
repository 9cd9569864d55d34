"""Writes of the matching service (派单): run, confirm, answer (consent), discard.

- `match_run` builds the instance of a scope from the database (`build.build_instance`), solves it with
  the pure core (`activities.matching`) and stores the proposal: a `MatchRun` with its figures, its
  `ProposedClass`es and their `ProposedPlacement`s, and an `UnassignedOrder` with the spec's reason for
  every order left out. Solving happens outside any transaction; the proposal is written in one.
- `proposed_class_confirm` turns one proposed class into a real class, in one transaction: a `Course`,
  its weekly sessions for the rest of the term (each through `activities.services.session_schedule`, which
  books the venue), a registration per order (`registration_create`) and each order moved to 派单
  (`interests.services.order_dispatch`). A refused booking or a teacher already teaching at that time
  rolls the whole confirmation back. `run_confirm` confirms every proposed class of a run in one
  transaction (all or nothing).
- `proposed_class_teacher_answer` / `proposed_class_venue_answer` record the teacher's and the venue
  owner's consent; a decline frees the class's orders (they stay accepted, in the pool) and keeps the
  declined teacher, or the declined venue, out of that weekly slot for the rest of the term.
- `proposed_class_discard` / `run_discard` drop proposals staff do not want, freeing everything.

Scope: with an `actor`, every write asks `accounts.selectors.scope_for(actor).can_change_community` for
the communities involved (the class's venue community and each placed order's community): community staff
act on their community, street staff on their street, the district office (which reads only) on nothing.
`actor=None` is the system (the management command without --user).

Notices are not sent from here: orders, registrations and bookings change only through their services,
which is where notices are wired.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, District, Street, User
from accounts.selectors import scope_for
from activities.enums import CourseStatus, SessionStatus
from activities.matching import problem as spec
from activities.matching.checker import Objective, check, check_near_misses, objective
from activities.matching.near_miss import (
    NearMissReport,
    find_near_misses,
    gathering_counts,
    near_misses_json,
)
from activities.models import (
    Course,
    MatchRun,
    Order,
    ProposedClass,
    ProposedPlacement,
    Session,
    UnassignedOrder,
)
from activities.orders import order_dispatch
from activities.services import registration_create, session_schedule
from community_college.errors import ConflictError, InvalidTransition, ScopeError, field_error
from interests.enums import OrderStatus
from interests.selectors import category_seen_from
from venues.enums import BookingStatus
from venues.models import Booking, Venue
from venues.services import booking_confirm

from .build import Built, Node, at, build_instance, community_ids_of, session_dates, term_window
from .enums import (
    Consent,
    MatchRunStatus,
    MatchSolver,
    ProposedClassStatus,
    UnassignedReason,
)
from .near_miss import near_misses_store
from .waitlist import waitlist_demand_prepare, waitlist_entry_release


@dataclass
class MatchOutcome:
    """What a run built, what the solver answered, and the stored run (None for a dry run)."""

    built: Built
    solution: spec.Solution
    objective: Objective
    seconds: float
    run: MatchRun | None
    greedy_weight: float | None = None
    # Orders made before building, for residents on a waiting list long enough for a second class.
    waitlist_orders: int = 0
    # The groups one relaxation would open, found on the same instance within the run's time limit.
    near_misses: NearMissReport | None = None
    # Per unassigned order: other residents waiting for the same interest within the walking circle.
    gathering: dict[int, int] | None = None


# --- scope ---------------------------------------------------------------------------------------------------


def _require_communities(actor: User | None, community_ids, message: str) -> None:
    if actor is None:
        return
    scope = scope_for(actor)
    if not community_ids or not all(scope.can_change_community(c) for c in community_ids):
        raise ScopeError(message, code="scope")


def _class_communities(pc: ProposedClass) -> set[int]:
    """The class's community and those of the orders it holds."""
    orders = pc.placements.filter(active=True).values_list("order__community_id", flat=True)
    return {pc.community_id, *orders}


def class_in_scope(actor: User | None, pc: ProposedClass) -> bool:
    """Whether `actor` may confirm, answer for or discard the proposed class."""
    if actor is None:
        return True
    scope = scope_for(actor)
    return scope.can_change and all(scope.can_change_community(c) for c in _class_communities(pc))


def _require_class(actor: User | None, pc: ProposedClass) -> None:
    if not class_in_scope(actor, pc):
        raise ScopeError(_("This proposed class belongs to another community."), code="scope")


# --- run -----------------------------------------------------------------------------------------------------


def match_run(
    *,
    node: Node,
    term=None,
    actor: User | None = None,
    time_limit: float = 60.0,
    greedy: bool = False,
    seed: int = 0,
    replace: bool = False,
    dry_run: bool = False,
    today: date | None = None,
    keep_json: bool = True,
    on_instance: Callable[[spec.Instance], None] | None = None,
) -> MatchOutcome:
    """Build the instance of `node` (a community, street or district), solve it and store the proposal.

    Running again is safe: orders held by a live proposed class are left out and their teachers' and
    venues' slots stay reserved, so nothing is proposed twice; confirmed classes are courses and their
    orders are dispatched, so they are never touched. With `replace`, the still-proposed classes of the
    scope are discarded first and their runs marked superseded, for a fresh plan. Before building, waiting
    lists that reached their interest's minimum class size become accepted orders
    (`activities.dispatch.waitlist`), so the run can propose their second class. `dry_run` solves and
    stores nothing (and so sees no such new demand). `on_instance` sees the instance before solving (the command's --export).
    """
    _require_communities(
        actor, community_ids_of(node), _("You can only run the matching for your own community or street.")
    )
    if replace and not dry_run:
        proposals_supersede(node=node, actor=actor)
    # Long waiting lists become accepted orders first, so this run can propose their second class.
    waitlist_orders = 0 if dry_run else len(waitlist_demand_prepare(community_ids=community_ids_of(node)))
    built = build_instance(node=node, term=term, today=today)
    instance = built.instance
    if on_instance is not None:
        on_instance(instance)
    started = clock.perf_counter()
    solution, greedy_weight = _solve(instance, greedy=greedy, time_limit=time_limit, seed=seed)
    seconds = clock.perf_counter() - started
    return match_conclude(
        built,
        solution,
        seconds=seconds,
        started=started,
        actor=actor,
        solver=MatchSolver.GREEDY if greedy else MatchSolver.SOLVER,
        seed=seed,
        time_limit=time_limit,
        greedy_weight=greedy_weight,
        waitlist_orders=waitlist_orders,
        dry_run=dry_run,
        keep_json=keep_json,
    )


def match_conclude(
    built: Built,
    solution: spec.Solution,
    *,
    seconds: float,
    started: float,
    actor: User | None,
    solver: str,
    seed: int,
    time_limit: float,
    greedy_weight: float | None = None,
    waitlist_orders: int = 0,
    dry_run: bool = False,
    keep_json: bool = True,
) -> MatchOutcome:
    """Check a solution of `built`, find its near misses and store the proposal (one `MatchRun`).

    The second half of `match_run`; the fan-out (`activities.dispatch.fanout`) gathers its parts' solutions
    and ends here too, so a proposal is stored one way whichever way it was solved. `started` is the
    `perf_counter` at which solving began (near misses get what is left of the time limit).
    """
    instance = built.instance
    report = check(instance, solution)
    if not report.feasible:  # pragma: no cover - the core only returns checked solutions; a last guard
        raise RuntimeError(f"the solver returned an infeasible solution: {report.violations[:3]}")
    slot_rank = {s.id: i for i, s in enumerate(instance.slots)}
    solution = solution.normalized(slot_rank)
    # Near misses share the run's time limit: the solver's work budget stops short of it and they use what is
    # left, but never less than a tenth of the limit (a loaded machine can make the solver overrun its clock).
    near = find_near_misses(
        instance, solution, deadline=started + max(time_limit, seconds + max(1.0, 0.1 * time_limit))
    )
    near_violations = check_near_misses(instance, solution, near.near_misses)
    if near_violations:  # pragma: no cover - a last guard, as for the solution
        raise RuntimeError(f"the near-miss finder broke a rule: {near_violations[:3]}")
    outcome = MatchOutcome(
        built,
        solution,
        objective(instance, solution),
        seconds,
        None,
        greedy_weight,
        waitlist_orders,
        near,
        gathering_counts(instance, solution),
    )
    if dry_run:
        return outcome
    try:
        outcome.run = _persist(
            built,
            solution,
            actor=actor,
            solver=solver,
            seed=seed,
            time_limit=time_limit,
            seconds=seconds,
            keep_json=keep_json,
            near=near,
            gathering=outcome.gathering,
        )
    except IntegrityError as exc:
        raise ConflictError(
            _(
                "Another matching run placed some of the same orders, teachers or venues meanwhile. Run it again."
            ),
            code="concurrent_run",
        ) from exc
    return outcome


def _solve(instance: spec.Instance, *, greedy: bool, time_limit: float, seed: int) -> tuple[spec.Solution, float | None]:
    """Solve with the solver (or the greedy baseline); the weight of the solver's greedy start too."""
    greedy_weight = None
    # Imported here: OR-Tools is heavy, and every admin page imports this module.
    if greedy:
        from activities.matching.greedy import greedy as solve_greedy

        solution = solve_greedy(instance)
    else:
        from activities.matching.solver import solve

        solution = solve(instance, time_limit=time_limit, seed=seed)
        stats = solution.stats.get("search")
        greedy_weight = stats.greedy.weight if stats is not None and stats.greedy is not None else None
    return solution, greedy_weight


@transaction.atomic
def _persist(
    built: Built,
    solution: spec.Solution,
    *,
    actor: User | None,
    solver: str,
    seed: int,
    time_limit: float,
    seconds: float,
    keep_json: bool,
    near: NearMissReport | None = None,
    gathering: dict[int, int] | None = None,
) -> MatchRun:
    still = _orders_still_accepted(built)
    run = MatchRun.objects.create(
        **_run_scope(built.node),
        scope=built.scope,
        term=built.term,
        created_by=actor,
        solver=solver,
        seed=seed,
        time_limit=time_limit,
        orders_total=len(built.orders),
        orders_unlocated=len(built.unlocated),
        teachers=len(built.instance.teachers),
        venues=len(built.instance.venues),
        total_weight=sum(f.weight for f in built.orders.values()),
        seconds=seconds,
        instance=built.instance.to_dict() if keep_json else None,
        solution=_solution_json(solution, near) if keep_json else None,
    )
    unassigned: list[tuple[int, str]] = [(u.order, u.reason) for u in solution.unassigned]
    unassigned += [(pk, UnassignedReason.NO_COMMON_SLOT) for pk in built.no_slot]
    classes, members, too_small = _proposed_classes(built, solution, run, still)
    unassigned += too_small
    ProposedClass.objects.bulk_create(classes)
    ProposedPlacement.objects.bulk_create(
        [
            ProposedPlacement(proposed_class=pc, order_id=o, walk_km=km)
            for pc, placed in zip(classes, members, strict=True)
            for o, km in placed
        ]
    )
    _record_unassigned(built, run, unassigned, still, gathering or {})
    if near is not None:
        near_misses_store(run=run, built=built, report=near, still=still)
    run.classes = len(classes)
    run.orders_assigned = sum(pc.size for pc in classes)
    run.assigned_weight = sum(pc.weight for pc in classes)
    run.walk_km = round(sum(pc.walk_km for pc in classes), 4)
    run.status = MatchRunStatus.OPEN if classes else MatchRunStatus.CLOSED
    run.save(update_fields=["classes", "orders_assigned", "assigned_weight", "walk_km", "status"])
    return run


def _orders_still_accepted(built: Built) -> set[int]:
    """Lock the scope's open orders (in id order, as every locker here does, so two runs never deadlock)
    and keep those still accepted: a resident may have cancelled, or staff dispatched by hand, meanwhile."""
    return set(
        Order.objects.select_for_update()
        .filter(status=OrderStatus.ACCEPTED, community_id__in=built.community_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    ) & set(built.orders)


def _run_scope(node: Node) -> dict:
    return {
        "community": node if isinstance(node, Community) else None,
        "street": node if isinstance(node, Street) else None,
        "district": node if isinstance(node, District) else None,
    }


def _proposed_classes(
    built: Built, solution: spec.Solution, run: MatchRun, still: set[int]
) -> tuple[list[ProposedClass], list[list[tuple[int, float]]], list[tuple[int, str]]]:
    """The solution's classes as unsaved rows, with their members (order, walking km); the orders of a class
    left below its minimum size by orders closed while the solver ran come back as unassigned."""
    needs_owner = dict(
        Venue.objects.filter(pk__in={c.venue for c in solution.classes}).values_list(
            "pk", "requires_confirmation"
        )
    )
    categories = built.instance.category_by_id
    venues = built.instance.venue_by_id
    classes: list[ProposedClass] = []
    members: list[list[tuple[int, float]]] = []
    too_small: list[tuple[int, str]] = []
    for c in solution.classes:
        venue = venues[c.venue]
        placed = [
            (o, round(spec.haversine_km(built.orders[o].lat, built.orders[o].lon, venue.lat, venue.lon), 4))
            for o in c.orders
            if o in still
        ]
        if len(placed) < categories[c.category].min_size:
            too_small += [(o, UnassignedReason.BELOW_MIN_SIZE) for o, _km in placed]
            continue
        classes.append(
            ProposedClass(
                run=run,
                category_id=c.category,
                teacher_id=c.teacher,
                venue_id=c.venue,
                slot_id=built.slot_pks[c.slot],
                term=built.term,
                community_id=built.venue_communities[c.venue],
                venue_consent=Consent.PENDING if needs_owner[c.venue] else Consent.NOT_REQUIRED,
                size=len(placed),
                weight=sum(built.orders[o].weight for o, _km in placed),
                walk_km=round(sum(km for _o, km in placed), 4),
            )
        )
        members.append(placed)
    return classes, members, too_small


def _solution_json(solution: spec.Solution, near: NearMissReport | None) -> dict:
    data = solution.to_dict()
    if near is not None:
        data["near_misses"] = near_misses_json(near.near_misses)
    return data


def _record_unassigned(
    built: Built, run: MatchRun, unassigned: list[tuple[int, str]], still: set[int], gathering: dict[int, int]
) -> None:
    # The gathering counts and minimum sizes come from the run's instance (the order's page shows them).
    categories = built.instance.category_by_id
    # Every open order of the scope was reconsidered: the explanations of earlier runs are history now.
    UnassignedOrder.objects.filter(latest=True, community_id__in=built.community_ids).update(latest=False)
    UnassignedOrder.objects.bulk_create(
        [
            UnassignedOrder(
                run=run,
                order_id=pk,
                community_id=built.orders[pk].community_id,
                category_id=built.orders[pk].category_id,
                reason=reason,
                neighbours=gathering.get(pk),
                min_size=categories[built.orders[pk].category_id].min_size
                if built.orders[pk].category_id in categories
                else None,
            )
            for pk, reason in sorted(unassigned)
            if pk in still
        ]
    )


def _refresh_run(run_id: int) -> None:
    """Close an open run once none of its classes is still proposed."""
    if not ProposedClass.objects.filter(run_id=run_id, status=ProposedClassStatus.PROPOSED).exists():
        MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.OPEN).update(status=MatchRunStatus.CLOSED)


@transaction.atomic
def proposals_supersede(*, node: Node, actor: User | None) -> int:
    """Discard the still-proposed classes of a scope (in the actor's reach) before a fresh run.

    A class counts as the scope's when its venue's community, or one of its orders' communities, is
    under `node`. Runs left with nothing proposed are marked superseded. Returns the classes discarded.
    """
    ids = community_ids_of(node)
    live = (
        ProposedClass.objects.select_for_update()
        .filter(status=ProposedClassStatus.PROPOSED, pk__in=_scope_classes(ids))
        .order_by("pk")
    )
    touched: set[int] = set()
    discarded = 0
    for pc in live:
        if class_in_scope(actor, pc):
            _close(pc, ProposedClassStatus.DISCARDED, actor, _("Replaced by a new matching run."))
            touched.add(pc.run_id)
            discarded += 1
    for run_id in sorted(touched):
        if not ProposedClass.objects.filter(run_id=run_id, status=ProposedClassStatus.PROPOSED).exists():
            MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.OPEN).update(
                status=MatchRunStatus.SUPERSEDED
            )
    return discarded


def _scope_classes(community_ids):
    return ProposedClass.objects.filter(
        Q(community_id__in=community_ids)
        | Q(placements__active=True, placements__order__community_id__in=community_ids)
    ).values("pk")


def _close(pc: ProposedClass, status: str, actor: User | None, note: str = "") -> None:
    """End a proposed class without a course: its orders go back to the pool (they stay accepted)."""
    pc.status = status
    pc.decided_by = actor
    pc.decided_at = timezone.now()
    pc.note = note[:300]
    pc.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "note",
            "teacher_consent",
            "teacher_answered_at",
            "venue_consent",
            "venue_answered_at",
        ]
    )
    pc.placements.filter(active=True).update(active=False)


# --- confirm -------------------------------------------------------------------------------------------------


def _locked_proposal(proposed: ProposedClass) -> ProposedClass:
    return (
        ProposedClass.objects.select_for_update(of=("self",))
        .select_related("category", "teacher", "venue", "slot", "term", "community")
        .get(pk=proposed.pk)
    )


def _course_title(pc: ProposedClass) -> str:
    # Names only, so the title reads the same in either language of the portal.
    return f"{pc.category.name} · {pc.venue.name}"[:100]


@transaction.atomic
def proposed_class_confirm(
    *, proposed: ProposedClass, actor: User | None, today: date | None = None
) -> Course:
    """Turn a proposed class into a class, in one transaction; return the course.

    Creates the course (community: the venue's; places: the smaller of the interest's maximum size and the
    venue's capacity; open for registration), one session a week in the class's slot from tomorrow (or the
    term's first day) to the term's last day, each with its venue booking; registers every resident of the
    class with their order and moves each order to 派单 (an order made from a waiting list gives up that
    waiting-list entry in the same transaction). When the venue owner has accepted the class, its
    bookings are confirmed at once. Refused, with nothing saved, when the class is no longer proposed,
    someone declined it, too few of its orders are still open, the venue is already booked or the teacher
    already teaches at one of the meetings.
    """
    pc = _locked_proposal(proposed)
    _require_class(actor, pc)
    # The interest's minimum and maximum as the class's district adapted them, as the matching proposed it
    # (activities.dispatch.build); read only, never saved over the city's row.
    pc.category = category_seen_from(category_id=pc.category_id, community_id=pc.venue.community_id)
    placements, locked, open_orders = _confirmable_orders(pc)
    meetings = _meetings(pc, today)
    _refuse_teacher_clash(pc, meetings)
    course = _open_course(pc)
    _schedule_meetings(course, pc, meetings, actor)
    for order in open_orders:
        registration_create(course=course, resident=order.resident, placed_by=actor, order=order)
        order_dispatch(order=order, actor=actor, course=course)
        waitlist_entry_release(order=order, course=course)
    closed = [p.pk for p in placements if locked[p.order_id].status != OrderStatus.ACCEPTED]
    ProposedPlacement.objects.filter(pk__in=closed).update(active=False)
    pc.status = ProposedClassStatus.CONFIRMED
    pc.course = course
    pc.decided_by = actor
    pc.decided_at = timezone.now()
    pc.save(update_fields=["status", "course", "decided_by", "decided_at"])
    _refresh_run(pc.run_id)
    course.refresh_from_db()  # places were taken with conditional UPDATEs
    return course


def _confirmable_orders(pc: ProposedClass) -> tuple[list[ProposedPlacement], dict[int, Order], list[Order]]:
    """The class's placements, their orders locked, and those still open; refused unless the class is
    still proposed, nobody declined it and enough of its orders are open."""
    if pc.status != ProposedClassStatus.PROPOSED:
        raise InvalidTransition(
            _("This class is “%(status)s”: only a proposed class can be confirmed.")
            % {"status": ProposedClassStatus(pc.status).label},
            code="not_proposed",
        )
    if Consent.DECLINED in (pc.teacher_consent, pc.venue_consent):
        raise ConflictError(_("This class was declined and cannot be confirmed."), code="declined")
    placements = list(pc.placements.filter(active=True).select_related("order").order_by("order_id"))
    locked = {
        o.pk: o
        for o in Order.objects.select_for_update()
        .filter(pk__in=[p.order_id for p in placements])
        .select_related("resident")
        .order_by("pk")
    }
    open_orders = [
        locked[p.order_id] for p in placements if locked[p.order_id].status == OrderStatus.ACCEPTED
    ]
    # A class proposed from a near miss's "smaller class" opens with the size its teacher accepted.
    least = pc.min_size or pc.category.min_size
    if len(open_orders) < least:
        raise ConflictError(
            _(
                "Only %(open)d of the class's orders are still open; %(interest)s needs at least %(min)d. Discard it and run the matching again."
            )
            % {"open": len(open_orders), "interest": pc.category.name, "min": least},
            code="too_few_orders",
        )
    return placements, locked, open_orders


def _meetings(pc: ProposedClass, today: date | None) -> list[tuple]:
    """(starts_at, ends_at) of the class's weekly meetings left in its term; refused when none is left."""
    first_day, last_day = term_window(pc.term, today)
    days = session_dates(pc.slot.weekday, first_day, last_day)
    if not days:
        raise ConflictError(
            _("No %(slot)s is left in the term %(term)s.") % {"slot": pc.slot, "term": pc.term},
            code="no_week_left",
        )
    return [(at(day, pc.slot.start), at(day, pc.slot.end)) for day in days]


def _open_course(pc: ProposedClass) -> Course:
    course = Course(
        title=_course_title(pc),
        category=pc.category,
        community_id=pc.venue.community_id,
        teacher=pc.teacher,
        term=pc.term,
        slot=pc.slot,
        venue=pc.venue,
        capacity=min(pc.category.max_size, pc.venue.capacity),
        status=CourseStatus.OPEN,
    )
    course.full_clean()
    course.save()
    return course


def _schedule_meetings(course: Course, pc: ProposedClass, meetings: list[tuple], actor: User | None) -> None:
    """One session a week, each with its venue booking; confirmed at once when the owner accepted."""
    for starts_at, ends_at in meetings:
        try:
            session_schedule(course=course, starts_at=starts_at, ends_at=ends_at, venue=pc.venue, actor=actor)
        except ConflictError as exc:
            raise ConflictError(
                _(
                    "%(venue)s is already booked on %(day)s at %(time)s: the class %(class)s was not confirmed and nothing was saved. Discard it and run the matching again."
                )
                % {
                    "venue": pc.venue.name,
                    "day": f"{timezone.localtime(starts_at):%Y-%m-%d}",
                    "time": f"{timezone.localtime(starts_at):%H:%M}",
                    "class": pc,
                },
                code="booking_overlap",
            ) from exc
    if pc.venue_consent == Consent.ACCEPTED:
        for booking in Booking.objects.filter(session__course=course).order_by("starts_at"):
            if booking.status != BookingStatus.CONFIRMED:
                booking_confirm(booking=booking, actor=actor)


def _refuse_teacher_clash(pc: ProposedClass, meetings: list[tuple]) -> None:
    """The teacher may have been given another class at the same time since the run: refuse, naming it."""
    busy = (
        Session.objects.filter(
            course__teacher=pc.teacher, starts_at__lt=meetings[-1][1], ends_at__gt=meetings[0][0]
        )
        .exclude(status=SessionStatus.CANCELLED)
        .exclude(course__status=CourseStatus.CANCELLED)
        .values_list("starts_at", "ends_at")
    )
    for starts_at, ends_at in busy:
        for start, end in meetings:
            if starts_at < end and start < ends_at:
                raise ConflictError(
                    _("%(teacher)s already teaches on %(day)s at %(time)s: the class was not confirmed.")
                    % {
                        "teacher": pc.teacher.name,
                        "day": f"{timezone.localtime(start):%Y-%m-%d}",
                        "time": f"{timezone.localtime(start):%H:%M}",
                    },
                    code="teacher_busy",
                )


@transaction.atomic
def run_confirm(*, run: MatchRun, actor: User | None, today: date | None = None) -> list[Course]:
    """Confirm every still-proposed class of `run` within the actor's scope, all or nothing.

    Classes someone declined are skipped. The first refusal rolls back every class of the call.
    """
    courses = []
    for pc in ProposedClass.objects.filter(run=run, status=ProposedClassStatus.PROPOSED).order_by("pk"):
        if Consent.DECLINED in (pc.teacher_consent, pc.venue_consent) or not class_in_scope(actor, pc):
            continue
        courses.append(proposed_class_confirm(proposed=pc, actor=actor, today=today))
    if not courses:
        raise ConflictError(
            _("No proposed class of this run is left for you to confirm."), code="nothing_to_confirm"
        )
    return courses


# --- consent and discard -------------------------------------------------------------------------------------


def _answerable(pc: ProposedClass) -> None:
    if pc.status != ProposedClassStatus.PROPOSED:
        raise InvalidTransition(
            _("This class is “%(status)s”: answers are taken only while it is proposed.")
            % {"status": ProposedClassStatus(pc.status).label},
            code="not_proposed",
        )


@transaction.atomic
def proposed_class_teacher_answer(
    *, proposed: ProposedClass, accept: bool, actor: User | None, note: str = ""
) -> ProposedClass:
    """The teacher accepts or declines a proposed class (themselves, or staff recording their answer).

    A decline ends the class: its orders return to the pool, still accepted, and the teacher is kept out
    of that weekly slot for the rest of the term, so the next run places the orders elsewhere.
    """
    pc = _locked_proposal(proposed)
    is_teacher = actor is not None and pc.teacher.user_id is not None and pc.teacher.user_id == actor.pk
    if not is_teacher:
        _require_class(actor, pc)
    _answerable(pc)
    if is_teacher and not accept and not (note or "").strip():
        # The community plans around the reason (another time, another interest): the teacher gives one.
        raise field_error(
            "reason",
            _("Say why you decline, so that the community can plan around it."),
            code="reason_required",
        )
    pc.teacher_consent = Consent.ACCEPTED if accept else Consent.DECLINED
    pc.teacher_answered_at = timezone.now()
    if accept:
        pc.save(update_fields=["teacher_consent", "teacher_answered_at"])
    else:
        _close(pc, ProposedClassStatus.DECLINED, actor, note or _("Declined by the teacher."))
        _refresh_run(pc.run_id)
    proposed.refresh_from_db()
    return pc


@transaction.atomic
def proposed_class_venue_answer(
    *, proposed: ProposedClass, accept: bool, actor: User | None, note: str = ""
) -> ProposedClass:
    """The venue's owner accepts or declines a proposed class (staff record the answer).

    Asked only of venues whose bookings need the owner's confirmation. A decline ends the class, frees its
    orders and keeps the venue out of that weekly slot for the rest of the term.
    """
    pc = _locked_proposal(proposed)
    _require_class(actor, pc)
    _answerable(pc)
    if pc.venue_consent == Consent.NOT_REQUIRED:
        raise ConflictError(_("This venue does not need its owner's confirmation."), code="not_required")
    pc.venue_consent = Consent.ACCEPTED if accept else Consent.DECLINED
    pc.venue_answered_at = timezone.now()
    if accept:
        pc.save(update_fields=["venue_consent", "venue_answered_at"])
    else:
        _close(pc, ProposedClassStatus.DECLINED, actor, note or _("Declined by the venue's owner."))
        _refresh_run(pc.run_id)
    proposed.refresh_from_db()
    return pc


@transaction.atomic
def proposed_class_discard(*, proposed: ProposedClass, actor: User | None, note: str = "") -> ProposedClass:
    """Staff drop a proposed class; its orders, teacher and venue are free for the next run."""
    pc = _locked_proposal(proposed)
    _require_class(actor, pc)
    _answerable(pc)
    _close(pc, ProposedClassStatus.DISCARDED, actor, note)
    _refresh_run(pc.run_id)
    proposed.refresh_from_db()
    return pc


@transaction.atomic
def run_discard(*, run: MatchRun, actor: User | None) -> int:
    """Discard every still-proposed class of `run` within the actor's scope; returns how many."""
    count = 0
    for pc in (
        ProposedClass.objects.select_for_update()
        .filter(run=run, status=ProposedClassStatus.PROPOSED)
        .order_by("pk")
    ):
        if class_in_scope(actor, pc):
            _close(pc, ProposedClassStatus.DISCARDED, actor)
            count += 1
    if not count:
        raise ConflictError(
            _("No proposed class of this run is left for you to discard."), code="nothing_to_discard"
        )
    _refresh_run(run.pk)
    return count
