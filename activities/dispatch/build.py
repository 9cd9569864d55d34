"""Build the matching instance (``docs/matching.md``) from the database, for a node and a term.

What goes in, for a community, a street or the district (the *scope*) and a term:

- **Orders**: the ACCEPTED orders (接单) of the scope's communities, except those already held by a live
  proposed class (see "Running again" in ``activities.dispatch``). Each order sits at its resident's home
  (the profile's location, else the community's centre; an order with neither is left out and counted as
  *unlocated*; an order made from a waiting list sits at the venue of the class waited for before the
  community's centre, see ``activities.dispatch.waitlist``). Its slots are the weekly slots the resident chose for this order (``preferred_slots``);
  when none were chosen, the slots that fit inside the resident's weekly free times; when the resident has
  given no free times, any slot (``[]``). A resident whose free times fit no slot at all cannot be written
  in the spec's format (``[]`` would mean "any"), so such an order is not sent to the solver: the service
  records it as unassigned with ``no_common_slot``, which is then true by construction.
- **Categories**: those of the orders, with the codes of the facilities they need and their sizes.
- **Teachers**: active, located teachers with a skill among those categories, of the node's district or
  opted in to serve neighbouring districts (城市师资共享, ``teacher_pool_q``). Their slots are the weekly
  slots inside one of their free-time windows, less every slot that overlaps, in some week of the term
  still to come, one of their scheduled sessions; less the slots of their open or proposed courses of the
  term; less the slots of live proposed classes; less slots they declined in this term. Their
  ``max_sessions`` is ``max_weekly_sessions`` less their busiest week of the term (sessions), less their
  slotted courses without sessions yet, less their live proposed classes. A teacher left with no slot, no
  session to give, or no venue within ``max_travel_km`` is left out.
- **Venues**: active, located venues *of the scope's communities* (a class belongs to its venue's
  community, and staff confirm only classes of their own scope). Their slots are the weekly slots inside
  an opening-hours window, less every slot that a holding booking (pending or confirmed) overlaps in some
  week of the term still to come, less the slots of open or proposed courses held there, of live proposed
  classes and of classes the owner declined in this term. A venue with no order within walking distance
  is left out (it could change nothing); a venue with no slot left stays in with ``slots: []``, so that
  its orders are told ``no_common_slot`` (times are taken) rather than ``no_venue`` (no room at all).

"The term still to come" runs from the later of the term's first day and tomorrow to its last day; the
service schedules the weekly sessions of a confirmed class over the same days.

For the near misses (``activities.matching.near_miss``), optional fields the solver ignores: an order whose
resident chose slots gets ``free_slots``, every slot inside the resident's free times; each category names
its ``parent`` when the parent is in the instance (the parents of the orders' categories are added, with the
teachers who teach them); a teacher gives ``min_class`` when they accept a class below the interest's
minimum; and the scope's active interest groups of those categories are ``groups``, placed at their
community's centre, with the room left under their maximum (else the interest's maximum class size).

Everything is read in id order, so the same database gives the same instance, byte for byte.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, District, Street
from activities.enums import CourseStatus, RegistrationStatus, SessionStatus
from activities.geo import walking_circle_km
from activities.matching import problem as spec
from activities.models import (
    Course,
    Order,
    ProposedClass,
    ProposedPlacement,
    Registration,
    Session,
    Term,
    WeeklySlot,
)
from community_college.errors import ConflictError
from interests.enums import OrderStatus
from interests.models import Category, GroupMembership, InterestGroup, ResidentAvailability
from interests.selectors import categories_seen_by
from teachers.models import Teacher, TeacherAvailability, TeacherSkill
from venues.enums import HOLDING_STATUSES
from venues.models import Booking, OpeningHours, Venue

from .enums import Consent, MatchScope, ProposedClassStatus

_KM_PER_DEGREE = spec.EARTH_RADIUS_KM * math.pi / 180

Node = Community | Street | District


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the service needs to know of an order it sent to the solver (or explained itself)."""

    id: int
    community_id: int
    category_id: int
    resident_id: int
    weight: float
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Built:
    """An instance built from the database, with what is needed to write the solution back."""

    instance: spec.Instance
    scope: str
    node: Node
    term: Term
    first_day: date
    last_day: date
    community_ids: frozenset[int]
    # Every order this run considers: those in the instance and those in `no_slot`.
    orders: dict[int, OrderFacts]
    # Orders whose resident's free times fit no weekly slot: unassigned, `no_common_slot`, without solving.
    no_slot: tuple[int, ...]
    # Accepted orders of the scope left out: no location for the resident or the community.
    unlocated: tuple[int, ...]
    # Accepted orders of the scope already held by a live proposed class (of this run's or another term).
    held: int
    slot_pks: dict[str, int]
    venue_communities: dict[int, int]


# --- the node, the term and its calendar -------------------------------------------------------------------


_NODE_MODELS: dict[str, type[Node]] = {
    MatchScope.COMMUNITY: Community,
    MatchScope.STREET: Street,
    MatchScope.DISTRICT: District,
}


def resolve_node(scope: str, ref: str | int | None) -> Node:
    """The community, street or district named by its id or code; the only one when `ref` is None."""
    if scope not in _NODE_MODELS:
        raise ConflictError(_("Unknown scope %(scope)s.") % {"scope": scope}, code="unknown_scope")
    model = _NODE_MODELS[scope]
    label = MatchScope(scope).label
    if ref is None or str(ref).strip() == "":
        nodes = list(model.objects.order_by("pk")[:2])
        if len(nodes) == 1:
            return nodes[0]
        raise ConflictError(
            _("Name the %(scope)s to match by its id or code.") % {"scope": label}, code="node_required"
        )
    text = str(ref).strip()
    node = model.objects.filter(code=text).first()
    if node is None and text.isdigit():
        node = model.objects.filter(pk=int(text)).first()
    if node is None:
        raise ConflictError(
            _("No %(scope)s has the id or code “%(ref)s”.") % {"scope": label, "ref": text},
            code="unknown_node",
        )
    return node


def scope_of(node: Node) -> str:
    """The scope a node stands for."""
    for scope, model in _NODE_MODELS.items():
        if isinstance(node, model):
            return scope
    raise TypeError(f"not a node of the organisation tree: {node!r}")


def community_ids_of(node: Node) -> frozenset[int]:
    """The communities under a node."""
    if isinstance(node, Community):
        return frozenset({node.pk})
    if isinstance(node, Street):
        return frozenset(Community.objects.filter(street=node).values_list("pk", flat=True))
    return frozenset(Community.objects.filter(street__district=node).values_list("pk", flat=True))


def district_of(node: Node) -> int:
    """The id of the district a node lies in."""
    if isinstance(node, Community):
        return Street.objects.values_list("district_id", flat=True).get(pk=node.street_id)
    if isinstance(node, Street):
        return node.district_id
    return node.pk


def teacher_pool_q(district_id: int, prefix: str = "") -> Q:
    """The teachers a district's matching may use (城市师资共享): its own (by their home community, or by the
    district of those without one), and those of other districts who opted in to serve
    neighbouring districts. How far they travel is checked against the venues afterwards (`max_travel_km`)."""
    return (
        Q(**{f"{prefix}community__street__district_id": district_id})
        | Q(**{f"{prefix}community__isnull": True, f"{prefix}district_id": district_id})
        | Q(**{f"{prefix}serves_neighbouring_districts": True})
    )


def default_term(
    today: date | None = None, *, node: Node | None = None, district_ids: Iterable[int] | None = None
) -> Term:
    """The term under way tomorrow, else the next one to start, of the node's district (or of the given
    districts): each district keeps its own calendar."""
    tomorrow = (today or timezone.localdate()) + timedelta(days=1)
    terms = Term.objects.filter(ends_on__gte=tomorrow)
    if isinstance(node, Community):
        terms = terms.filter(district__streets__communities=node.pk)
    elif isinstance(node, Street):
        terms = terms.filter(district_id=node.district_id)
    elif node is not None:
        terms = terms.filter(district_id=node.pk)
    if district_ids is not None:
        terms = terms.filter(district_id__in=district_ids)
    term = terms.order_by("starts_on", "pk").first()
    if term is None:
        raise ConflictError(_("No term is under way or ahead: add a term first."), code="no_term")
    return term


def term_window(term: Term, today: date | None = None) -> tuple[date, date]:
    """The days of `term` still to come: from the later of its first day and tomorrow, to its last day."""
    first = max(term.starts_on, (today or timezone.localdate()) + timedelta(days=1))
    if first > term.ends_on:
        raise ConflictError(_("The term %(term)s is over.") % {"term": term.name}, code="term_over")
    return first, term.ends_on


def session_dates(weekday: int, first_day: date, last_day: date) -> list[date]:
    """Every date on `weekday` from `first_day` to `last_day`: the meetings of a weekly class."""
    start = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
    return (
        [start + timedelta(weeks=k) for k in range((last_day - start).days // 7 + 1)]
        if start <= last_day
        else []
    )


def at(day: date, moment: time) -> datetime:
    """An aware datetime in the current time zone (Asia/Shanghai by default)."""
    return timezone.make_aware(datetime.combine(day, moment))


class _Calendar:
    """The weekly slots, and which of them an interval or a weekly time touches within the term's window."""

    def __init__(self, slots: Sequence[WeeklySlot], first_day: date, last_day: date) -> None:
        self.slots = list(slots)
        self.by_weekday: defaultdict[int, list[WeeklySlot]] = defaultdict(list)
        for slot in self.slots:
            self.by_weekday[slot.weekday].append(slot)
        self.start = at(first_day, time.min)
        self.end = at(last_day + timedelta(days=1), time.min)

    def hits(self, starts_at: datetime, ends_at: datetime) -> set[str]:
        """Codes of the slots that the interval overlaps in some week of the window."""
        start = timezone.localtime(max(starts_at, self.start))
        end = timezone.localtime(min(ends_at, self.end))
        out: set[str] = set()
        day = start.date()
        while start < end and day <= end.date():
            for slot in self.by_weekday.get(day.weekday(), ()):
                if at(day, slot.start) < end and start < at(day, slot.end):
                    out.add(slot.code)
            day += timedelta(days=1)
        return out

    def overlapping(self, weekday: int, start: time, end: time) -> set[str]:
        """Codes of the slots that overlap a weekly time (another slot, a course's slot)."""
        return {s.code for s in self.by_weekday.get(weekday, ()) if s.start < end and start < s.end}

    def inside(self, windows: Iterable[tuple[int, time, time]]) -> set[str]:
        """Codes of the slots that fit wholly inside one of the weekly windows."""
        out: set[str] = set()
        for weekday, start, end in windows:
            out.update(s.code for s in self.by_weekday.get(weekday, ()) if start <= s.start and s.end <= end)
        return out


def _week_of(moment: datetime) -> tuple[int, int]:
    iso = timezone.localtime(moment).isocalendar()
    return iso.year, iso.week


def _near(
    points: Sequence[tuple[float, float]], targets: Sequence[tuple[float, float]], km: Sequence[float] | float
) -> list[bool]:
    """For each point, whether a target lies within its `km` (haversine, the spec's tolerance)."""
    by_lat = sorted(targets)
    lats = [t[0] for t in by_lat]
    out = []
    for i, (lat, lon) in enumerate(points):
        limit = km if isinstance(km, int | float) else km[i]
        band = (limit + 1e-3) / _KM_PER_DEGREE
        lo, hi = bisect.bisect_left(lats, lat - band), bisect.bisect_right(lats, lat + band)
        out.append(any(spec.within(spec.haversine_km(lat, lon, t[0], t[1]), limit) for t in by_lat[lo:hi]))
    return out


# --- the instance ------------------------------------------------------------------------------------------


@dataclass
class _Holds:
    """What the term's calendar already holds: per teacher and venue, the slot codes taken, and per teacher
    the sessions a week already given (their load)."""

    teacher_busy: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    teacher_load: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    venue_busy: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True)
class _Orders:
    """The scope's accepted orders as the instance takes them (see the module docstring, "Orders")."""

    facts: dict[int, OrderFacts]
    slots: dict[int, tuple[str, ...]]
    # Near misses: every slot inside the resident's free times, for orders whose resident chose fewer.
    free: dict[int, tuple[str, ...]]
    no_slot: list[int]
    unlocated: list[int]
    held: int

    @property
    def solvable(self) -> list[OrderFacts]:
        return [self.facts[pk] for pk in sorted(self.slots)]


def build_instance(*, node: Node, term: Term | None = None, today: date | None = None) -> Built:
    """Read the scope's accepted orders, the teachers and the venues into an instance of the spec."""
    today = today or timezone.localdate()
    term = term or default_term(today, node=node)
    first_day, last_day = term_window(term, today)
    community_ids = community_ids_of(node)
    slots = list(WeeklySlot.objects.order_by("weekday", "start", "code"))
    cal = _Calendar(slots, first_day, last_day)
    slot_rank = {s.code: i for i, s in enumerate(slots)}
    max_walk = walking_circle_km()

    holds = _Holds()
    term_overlaps = {"term__starts_on__lte": last_day, "term__ends_on__gte": first_day}
    _hold_proposed_classes(holds, cal, term_overlaps)
    _hold_sessions_and_courses(holds, cal, term_overlaps)
    orders = _accepted_orders(community_ids, cal, slot_rank)
    solvable = orders.solvable
    # The orders' categories and their parents (a near miss may pool orders under their parent).
    order_categories = {f.category_id for f in solvable}
    parent_of = dict(
        Category.objects.filter(pk__in=order_categories, parent__isnull=False).values_list("pk", "parent_id")
    )
    category_ids = sorted(order_categories | set(parent_of.values()))
    district_id = district_of(node)
    categories = _spec_categories(category_ids, parent_of, district_id)
    venue_rows = _open_venues(community_ids, cal, holds, solvable, max_walk)
    venues = _spec_venues(venue_rows, slot_rank)
    instance = spec.Instance(
        max_walk_km=max_walk,
        slots=tuple(spec.Slot(s.code, s.weekday, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in slots),
        categories=tuple(categories),
        orders=tuple(_spec_order(f, orders.slots[f.id], orders.free.get(f.id, ())) for f in solvable),
        teachers=tuple(_spec_teachers(category_ids, cal, holds, venues, slot_rank, district_id)),
        venues=tuple(venues),
        groups=tuple(_spec_groups(community_ids, category_ids, categories)),
    )
    return Built(
        instance=instance,
        scope=scope_of(node),
        node=node,
        term=term,
        first_day=first_day,
        last_day=last_day,
        community_ids=community_ids,
        orders=orders.facts,
        no_slot=tuple(orders.no_slot),
        unlocated=tuple(orders.unlocated),
        held=orders.held,
        slot_pks={s.code: s.pk for s in slots},
        venue_communities={v[0]: v[1] for v in venue_rows},
    )


def _hold_proposed_classes(holds: _Holds, cal: _Calendar, term_overlaps: dict) -> None:
    """Live proposals of this term hold their teacher's and venue's slots; declines keep them out."""
    for (
        status,
        teacher_id,
        venue_id,
        t_consent,
        v_consent,
        weekday,
        start,
        end,
    ) in ProposedClass.objects.filter(
        status__in=[ProposedClassStatus.PROPOSED, ProposedClassStatus.DECLINED], **term_overlaps
    ).values_list(
        "status",
        "teacher_id",
        "venue_id",
        "teacher_consent",
        "venue_consent",
        "slot__weekday",
        "slot__start",
        "slot__end",
    ):
        touched = cal.overlapping(weekday, start, end)
        if status == ProposedClassStatus.PROPOSED:
            holds.teacher_busy[teacher_id] |= touched
            holds.teacher_load[teacher_id] += 1
            holds.venue_busy[venue_id] |= touched
        else:
            if t_consent == Consent.DECLINED:
                holds.teacher_busy[teacher_id] |= touched
            if v_consent == Consent.DECLINED:
                holds.venue_busy[venue_id] |= touched


def _hold_sessions_and_courses(holds: _Holds, cal: _Calendar, term_overlaps: dict) -> None:
    """Courses of the term that meet weekly in a slot hold it, sessions scheduled or not; a teacher's load
    is their busiest week of sessions plus their slotted courses without sessions yet."""
    course_has_sessions: set[int] = set()
    weekly: defaultdict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    for teacher_id, course_id, starts_at, ends_at in (
        Session.objects.filter(course__teacher__isnull=False, starts_at__lt=cal.end, ends_at__gt=cal.start)
        .exclude(status=SessionStatus.CANCELLED)
        .exclude(course__status=CourseStatus.CANCELLED)
        .values_list("course__teacher_id", "course_id", "starts_at", "ends_at")
        .order_by("pk")
    ):
        holds.teacher_busy[teacher_id] |= cal.hits(starts_at, ends_at)
        weekly[(teacher_id, _week_of(starts_at))] += 1
        course_has_sessions.add(course_id)
    busiest: defaultdict[int, int] = defaultdict(int)
    for (teacher_id, _week), n in weekly.items():
        busiest[teacher_id] = max(busiest[teacher_id], n)
    for teacher_id, n in busiest.items():
        holds.teacher_load[teacher_id] += n
    for course_id, teacher_id, venue_id, weekday, start, end in Course.objects.filter(
        slot__isnull=False, status__in=[CourseStatus.PROPOSED, CourseStatus.OPEN], **term_overlaps
    ).values_list("pk", "teacher_id", "venue_id", "slot__weekday", "slot__start", "slot__end"):
        touched = cal.overlapping(weekday, start, end)
        if teacher_id is not None:
            holds.teacher_busy[teacher_id] |= touched
            if course_id not in course_has_sessions:
                holds.teacher_load[teacher_id] += 1
        if venue_id is not None:
            holds.venue_busy[venue_id] |= touched


def _accepted_orders(community_ids: frozenset[int], cal: _Calendar, slot_rank: dict[str, int]) -> _Orders:
    """The scope's accepted orders not held by a live proposal, each placed and given its slots."""
    held_orders = ProposedPlacement.objects.filter(active=True).values("order_id")
    accepted = Order.objects.filter(status=OrderStatus.ACCEPTED, community_id__in=community_ids)
    held = accepted.filter(pk__in=held_orders).count()
    pool = accepted.exclude(pk__in=held_orders)
    preferred = _preferred_slots(pool)
    free_times = _residents_free_times(pool)
    waited_at = _waited_at(pool)
    facts: dict[int, OrderFacts] = {}
    order_slots: dict[int, tuple[str, ...]] = {}
    order_free: dict[int, tuple[str, ...]] = {}
    no_slot: list[int] = []
    unlocated: list[int] = []
    for pk, community_id, category_id, resident_id, weight, p_lat, p_lon, c_lat, c_lon in pool.order_by(
        "pk"
    ).values_list(
        "pk",
        "community_id",
        "category_id",
        "resident_id",
        "weight",
        "resident__profile__latitude",
        "resident__profile__longitude",
        "community__latitude",
        "community__longitude",
    ):
        if p_lat is not None and p_lon is not None:
            lat, lon = p_lat, p_lon
        else:
            lat, lon = waited_at.get(pk, (c_lat, c_lon))
        if lat is None or lon is None:
            unlocated.append(pk)
            continue
        facts[pk] = OrderFacts(pk, community_id, category_id, resident_id, weight, lat, lon)
        if preferred.get(pk):
            codes = preferred[pk]
            wider = cal.inside(free_times[resident_id]) if free_times.get(resident_id) else set()
            if wider - codes:
                order_free[pk] = tuple(sorted(wider | codes, key=slot_rank.__getitem__))
        elif free_times.get(resident_id):
            codes = cal.inside(free_times[resident_id])
            if not codes:
                no_slot.append(pk)
                continue
        else:
            codes = set()
        order_slots[pk] = tuple(sorted(codes, key=slot_rank.__getitem__))
    return _Orders(
        facts=facts, slots=order_slots, free=order_free, no_slot=no_slot, unlocated=unlocated, held=held
    )


def _preferred_slots(pool) -> defaultdict[int, set[str]]:
    preferred: defaultdict[int, set[str]] = defaultdict(set)
    for order_id, code in Order.preferred_slots.through.objects.filter(order__in=pool).values_list(
        "order_id", "weeklyslot__code"
    ):
        preferred[order_id].add(code)
    return preferred


def _residents_free_times(pool) -> defaultdict[int, list[tuple[int, time, time]]]:
    free_times: defaultdict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for user_id, weekday, start, end in ResidentAvailability.objects.filter(
        profile__user_id__in=pool.values("resident_id")
    ).values_list("profile__user_id", "weekday", "start", "end"):
        free_times[user_id].append((weekday, start, end))
    return free_times


def _waited_at(pool) -> dict[int, tuple[float, float]]:
    """An order made from a waiting list (activities.dispatch.waitlist) whose resident has no location of
    their own sits at the venue of the class they waited for, not at the community's centre."""
    waited_at: dict[int, tuple[float, float]] = {}
    for order_id, v_lat, v_lon in (
        Registration.objects.filter(
            order__in=pool,
            status=RegistrationStatus.WAITLISTED,
            course__venue__latitude__isnull=False,
            course__venue__longitude__isnull=False,
        )
        .order_by("-pk")
        .values_list("order_id", "course__venue__latitude", "course__venue__longitude")
    ):
        waited_at[order_id] = (v_lat, v_lon)
    return waited_at


def _spec_order(facts: OrderFacts, slots: tuple[str, ...], free: tuple[str, ...] = ()) -> spec.Order:
    return spec.Order(
        id=facts.id,
        category=facts.category_id,
        lat=facts.lat,
        lon=facts.lon,
        slots=slots,
        weight=facts.weight,
        resident=facts.resident_id,
        free_slots=free,
    )


def _spec_categories(category_ids: list[int], parent_of: dict[int, int], district_id: int) -> list[spec.Category]:
    """The categories as the node's district sees them (its adapted name and class sizes, where it adapted
    them: `interests.selectors.categories_seen_by`), with the codes of the facilities they need (the city's:
    a district does not adapt what a room must have) and their parent.

    An order of an interest the district has since hidden is still matched: hiding stops new orders (the
    resident pages no longer offer it), while the orders staff accepted stay theirs to place or reject."""
    needs: defaultdict[int, list[str]] = defaultdict(list)
    for category_id, code in (
        Category.facilities.through.objects.filter(category_id__in=category_ids)
        .order_by("facility__code")
        .values_list("category_id", "facility__code")
    ):
        needs[category_id].append(code)
    return [
        spec.Category(
            id=pk,
            name=name,
            facilities=tuple(needs[pk]),
            min_size=min_size,
            max_size=max_size,
            parent=parent_of.get(pk),
        )
        for pk, name, min_size, max_size in categories_seen_by(district_id)
        .filter(pk__in=category_ids)
        .order_by("pk")
        .values_list("pk", "seen_name", "seen_min_size", "seen_max_size")
    ]


# (pk, community_id, capacity, lat, lon, free slot codes, facility codes)
_VenueRow = tuple[int, int, int, float, float, set[str], tuple[str, ...]]


def _open_venues(
    community_ids: frozenset[int], cal: _Calendar, holds: _Holds, solvable: list[OrderFacts], max_walk: float
) -> list[_VenueRow]:
    """Active, located venues of the scope with an order within walking distance, and their free slots."""
    venue_rows = list(
        Venue.objects.filter(
            is_active=True, community_id__in=community_ids, latitude__isnull=False, longitude__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "community_id", "capacity", "latitude", "longitude")
    )
    venue_ids = [row[0] for row in venue_rows]
    opening: defaultdict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for venue_id, weekday, start, end in OpeningHours.objects.filter(venue_id__in=venue_ids).values_list(
        "venue_id", "weekday", "start", "end"
    ):
        opening[venue_id].append((weekday, start, end))
    for venue_id, starts_at, ends_at in (
        Booking.objects.filter(
            venue_id__in=venue_ids, status__in=HOLDING_STATUSES, starts_at__lt=cal.end, ends_at__gt=cal.start
        )
        .order_by("pk")
        .values_list("venue_id", "starts_at", "ends_at")
    ):
        holds.venue_busy[venue_id] |= cal.hits(starts_at, ends_at)
    has: defaultdict[int, list[str]] = defaultdict(list)
    for venue_id, code in (
        Venue.facilities.through.objects.filter(venue_id__in=venue_ids)
        .order_by("facility__code")
        .values_list("venue_id", "facility__code")
    ):
        has[venue_id].append(code)
    # A venue with no free slot stays in (with `slots: []`): it is a venue within reach whose times are
    # taken, so its orders are told `no_common_slot`, not `no_venue`.
    open_venues = [
        (pk, community_id, capacity, lat, lon, cal.inside(opening[pk]) - holds.venue_busy[pk], tuple(has[pk]))
        for pk, community_id, capacity, lat, lon in venue_rows
    ]
    walkable = _near([(v[3], v[4]) for v in open_venues], [(f.lat, f.lon) for f in solvable], max_walk)
    return [v for v, ok in zip(open_venues, walkable, strict=True) if ok]


def _spec_venues(venue_rows: list[_VenueRow], slot_rank: dict[str, int]) -> list[spec.Venue]:
    return [
        spec.Venue(
            id=pk,
            capacity=capacity,
            facilities=facilities,
            slots=tuple(sorted(free, key=slot_rank.__getitem__)),
            lat=lat,
            lon=lon,
        )
        for pk, _community, capacity, lat, lon, free, facilities in venue_rows
    ]


def _spec_teachers(
    category_ids: list[int],
    cal: _Calendar,
    holds: _Holds,
    venues: list[spec.Venue],
    slot_rank: dict[str, int],
    district_id: int,
) -> list[spec.Teacher]:
    """Active, located teachers of the district's pool (`teacher_pool_q`) with a skill among the categories,
    a free slot, a session left to give and a venue within their travel range. Their load (`holds`) counts
    their sessions and classes in every district, so a shared teacher's week is counted once."""
    skills: defaultdict[int, list[int]] = defaultdict(list)
    for teacher_id, category_id in (
        TeacherSkill.objects.filter(category_id__in=category_ids, teacher__is_active=True)
        .filter(teacher_pool_q(district_id, "teacher__"))
        .order_by("teacher_id", "category_id")
        .values_list("teacher_id", "category_id")
    ):
        skills[teacher_id].append(category_id)
    available: defaultdict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for teacher_id, weekday, start, end in TeacherAvailability.objects.filter(
        teacher_id__in=list(skills)
    ).values_list("teacher_id", "weekday", "start", "end"):
        available[teacher_id].append((weekday, start, end))
    candidates = []
    smallest: dict[int, int] = {}
    for pk, lat, lon, max_weekly, max_km, min_class in (
        Teacher.objects.filter(pk__in=list(skills), latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values_list("pk", "latitude", "longitude", "max_weekly_sessions", "max_travel_km", "min_class_size")
    ):
        free = cal.inside(available[pk]) - holds.teacher_busy[pk]
        left = max_weekly - holds.teacher_load[pk]
        if free and left > 0:
            candidates.append((pk, lat, lon, left, max_km, free))
            if min_class is not None:
                smallest[pk] = min_class
    reach = _near(
        [(t[1], t[2]) for t in candidates], [(v.lat, v.lon) for v in venues], [t[4] for t in candidates]
    )
    return [
        spec.Teacher(
            id=pk,
            skills=tuple(skills[pk]),
            slots=tuple(sorted(free, key=slot_rank.__getitem__)),
            max_sessions=left,
            lat=lat,
            lon=lon,
            max_km=max_km,
            min_class=smallest.get(pk),
        )
        for (pk, lat, lon, left, max_km, free), ok in zip(candidates, reach, strict=True)
        if ok
    ]


def _spec_groups(
    community_ids: frozenset[int], category_ids: list[int], categories: list[spec.Category]
) -> list[spec.Group]:
    """The scope's active interest groups of these categories, at their community's centre (near misses)."""
    max_size = {c.id: c.max_size for c in categories}
    members = dict(
        GroupMembership.objects.filter(
            group__is_active=True, group__community_id__in=community_ids, group__category_id__in=category_ids
        )
        .values_list("group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        spec.Group(
            id=pk,
            category=category_id,
            lat=lat,
            lon=lon,
            room=max(0, (max_members or max_size[category_id]) - members.get(pk, 0)),
        )
        for pk, category_id, max_members, lat, lon in InterestGroup.objects.filter(
            is_active=True,
            community_id__in=community_ids,
            category_id__in=category_ids,
            community__latitude__isnull=False,
            community__longitude__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "category_id", "max_members", "community__latitude", "community__longitude")
    ]
