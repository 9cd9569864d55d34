"""Reads of the dashboards: one function per page, each a fixed number of aggregate queries, cached.

Every page reads through `page_data(name, filters)`, which caches the page's figures (plain data, no
labels: those are translated when the page is rendered) under a key made of the page, the filters and a
generation number that the roll-up refresh and the star computation bump. So a page costs its queries
once per filter combination and five minutes, whoever asks, and the same filters in a street office and
the district office share nothing they should not: the filters already carry the scope.

What each figure is made of is said next to it. Where a figure comes from the daily roll-ups
(`CategoryDay`, `CommunityDay`, `ResidentActivity`), it is as fresh as the last refresh (every 15 minutes
for the weeks around today, `dashboards.tasks`); the rest is aggregated from the source tables, which at
district scale hold some thousands of rows a year (orders, sessions, bookings).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import College, Community
from accounts.selectors import Scope
from activities.enums import PolicyTalkStatus, SessionStatus
from activities.models import Attendance, Order, PolicyTalk, Session
from activities.models import held_q as session_held_q
from interests.enums import OrderStatus
from interests.models import Category, InterestGroup
from ratings import scores, stars
from ratings.models import CollegeStarRecord, SessionRating
from teachers.models import Teacher, TeacherSkill
from venues.enums import HOLDING_STATUSES
from venues.models import Booking, OpeningHours, Venue

from .models import CategoryDay, CommunityDay, ResidentActivity

CACHE_SECONDS = 300
GENERATION_KEY = "dashboards:generation"
# Tables on the page stop here; the .xlsx export has every row.
PAGE_ROWS = 100

PERIOD_DAYS = {"week": 7, "month": 30, "quarter": 90, "year": 365}
DEFAULT_PERIOD = "month"
STAR_TREND_PERIODS = 12

F_COURSE_COMMUNITY = F("course__community_id")
F_COURSE_CATEGORY = F("course__category_id")


def day_start(day: date) -> datetime:
    """Local midnight at the start of `day` (Asia/Shanghai unless configured otherwise)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def held_q(*, now: datetime, prefix: str = "") -> Q:
    """A session that was held: the one definition, `activities.models.held_q`."""
    return session_held_q(prefix, now=now)


def hours(value: timedelta | None) -> float:
    return value.total_seconds() / 3600 if value else 0.0


class MedianHours(Aggregate):
    """PostgreSQL: the median of `end − start` in hours (percentile_cont ignores rows where either is NULL).

    date_part, not EXTRACT: since PostgreSQL 14 EXTRACT returns numeric, and sorting numerics made the
    12-month order funnel's query take 1.75 times as long; percentile_cont takes double precision anyway."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', %(expressions)s) / 3600.0)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str, **extra):
        super().__init__(F(end), F(start), **extra)


# --- The organisation and interest trees (reference data, cached) -------------------------------------------


@dataclass(frozen=True)
class CommunityNode:
    id: int
    name: str
    street_id: int
    street_name: str
    population: int
    latitude: float | None
    longitude: float | None
    college_id: int | None
    college_name: str | None


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    parent_id: int | None
    depth: int
    name_en: str = ""

    @property
    def label(self) -> str:
        """The name in the reader's language (issue 19: filters were Chinese only in English)."""
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY, 1)
    return value


def _cached(key: str, build: Callable[[], object], seconds: int = CACHE_SECONDS):
    full_key = f"dashboards:{generation()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, seconds)
    return value


def org_tree() -> list[CommunityNode]:
    """Every community with its street and college, by street then name: one query, cached."""

    def build():
        rows = Community.objects.order_by("street__name", "name").values_list(
            "id", "name", "street_id", "street__name", "population", "latitude", "longitude", "college__id", "college__name"
        )
        return [CommunityNode(*row) for row in rows]

    return _cached("org", build)


def category_tree() -> list[CategoryNode]:
    """The interest tree depth-first (fields, then their sub-fields and interests): one query, cached."""

    def build():
        rows = list(Category.objects.order_by("sort_order", "name").values_list("id", "name", "parent_id", "name_en"))
        children = defaultdict(list)
        for pk, name, parent, name_en in rows:
            children[parent].append((pk, name, name_en))
        out: list[CategoryNode] = []

        def walk(parent, depth):
            for pk, name, name_en in children.get(parent, []):
                out.append(CategoryNode(pk, name, parent, depth, name_en))
                walk(pk, depth + 1)

        walk(None, 0)
        return out

    return _cached("categories", build)


def category_subtree(category_id: int) -> frozenset[int]:
    """The interest and everything below it."""
    children = defaultdict(list)
    for node in category_tree():
        children[node.parent_id].append(node.id)
    found, todo = set(), [category_id]
    while todo:
        pk = todo.pop()
        found.add(pk)
        todo.extend(children.get(pk, []))
    return frozenset(found)


# --- Filters ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a page shows: communities (None: the whole district), interests (None: all), a period of days."""

    community_ids: frozenset[int] | None
    category_ids: frozenset[int] | None
    period: str
    today: date

    @property
    def days(self) -> int:
        return PERIOD_DAYS[self.period]

    @property
    def start(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def end(self) -> date:
        return self.today

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        """The end of the period (exclusive): tomorrow's local midnight."""
        return day_start(self.end + timedelta(days=1))

    def key(self) -> str:
        def ids(values):
            if values is None:
                return "all"
            return hashlib.md5(",".join(map(str, sorted(values))).encode(), usedforsecurity=False).hexdigest()[:16]

        return f"{ids(self.community_ids)}:{ids(self.category_ids)}:{self.period}:{self.today.isoformat()}"

    def communities(self, queryset: QuerySet, path: str) -> QuerySet:
        if self.community_ids is None:
            return queryset
        return queryset.filter(**{f"{path}__in": sorted(self.community_ids)})

    def categories(self, queryset: QuerySet, path: str) -> QuerySet:
        if self.category_ids is None:
            return queryset
        return queryset.filter(**{f"{path}__in": sorted(self.category_ids)})


def resolve_filters(
    *,
    scope: Scope,
    street_id: int | None = None,
    community_id: int | None = None,
    category_id: int | None = None,
    period: str | None = None,
    today: date | None = None,
) -> Filters:
    """The filters of a request, always inside `scope`: a street or community outside it selects nothing."""
    tree = org_tree()
    ids: set[int] | None = None if scope.everything else set(scope.community_ids)
    if street_id is not None:
        in_street = {c.id for c in tree if c.street_id == street_id}
        ids = in_street if ids is None else ids & in_street
    if community_id is not None:
        ids = {community_id} if ids is None else ids & {community_id}
    return Filters(
        community_ids=None if ids is None else frozenset(ids),
        category_ids=category_subtree(category_id) if category_id is not None else None,
        period=period if period in PERIOD_DAYS else DEFAULT_PERIOD,
        today=today or timezone.localdate(),
    )


def page_data(name: str, filters: Filters):
    """The figures of dashboard page `name` under `filters`, from the cache when they are there.

    In development without a broker no beat refreshes the roll-ups, so this refreshes them first (at most
    every 15 minutes; see `services.rollups_refresh_on_demand`, which does nothing in production)."""
    from .services import rollups_refresh_on_demand  # services import this module

    rollups_refresh_on_demand()
    return _cached(f"page:{name}:{filters.key()}", lambda: PAGES[name](filters))


# --- Overview ----------------------------------------------------------------------------------------------------

FUNNEL_STEPS = ("submitted", "accepted", "dispatched", "completed")
MEDIAN_STEPS = {
    # step: (end stamp, start stamp)
    "to_accept": ("accepted_at", "submitted_at"),
    "to_dispatch": ("dispatched_at", "accepted_at"),
    "to_complete": ("completed_at", "dispatched_at"),
    "submit_to_dispatch": ("dispatched_at", "submitted_at"),
}


@dataclass
class Funnel:
    """Orders submitted in the period (a cohort) and how far they went: 点单 → 接单 → 派单 → 返单."""

    submitted: int = 0
    accepted: int = 0
    dispatched: int = 0
    completed: int = 0
    rejected: int = 0
    cancelled: int = 0
    median_hours: dict[str, float | None] = field(default_factory=dict)

    def conversion(self, step: str) -> float | None:
        """The share of the previous step's orders that reached `step`."""
        i = FUNNEL_STEPS.index(step)
        if i == 0:
            return None
        before = getattr(self, FUNNEL_STEPS[i - 1])
        return getattr(self, step) / before if before else None


def order_funnel(orders: QuerySet[Order]) -> Funnel:
    """Counts and median times of `orders`: one query (PostgreSQL aggregates the medians; elsewhere the
    stamps are read and the medians taken here)."""
    return order_funnels(orders).get(None, Funnel())


def order_funnels(orders: QuerySet[Order], by: str | None = None) -> dict:
    """`order_funnel` per value of the lookup `by` (None: one funnel, under the key None), in one query
    however many groups: the city dashboard compares districts with the very figures of the district pages."""
    counts = {
        "submitted": Count("id"),
        "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
        "dispatched": Count("id", filter=Q(dispatched_at__isnull=False)),
        "completed": Count("id", filter=Q(completed_at__isnull=False)),
        "rejected": Count("id", filter=Q(status=OrderStatus.REJECTED)),
        "cancelled": Count("id", filter=Q(status=OrderStatus.CANCELLED)),
    }
    if connection.vendor == "postgresql":
        medians = {f"m_{k}": MedianHours(end, start) for k, (end, start) in MEDIAN_STEPS.items()}
        if by is None:
            rows = [{"key": None, **orders.aggregate(**counts, **medians)}]
        else:
            rows = orders.values(key=F(by)).order_by().annotate(**counts, **medians)
        return {
            row["key"]: Funnel(**{k: row[k] for k in counts}, median_hours={k: row[f"m_{k}"] for k in MEDIAN_STEPS})
            for row in rows
        }
    grouped: defaultdict = defaultdict(list)
    fields = ["submitted_at", "accepted_at", "dispatched_at", "completed_at", "status"]
    if by is None:
        grouped[None] = list(orders.values_list(*fields))
    else:
        for *row, key in orders.values_list(*fields, by):
            grouped[key].append(row)
    return {key: _funnel_of(rows) for key, rows in grouped.items()} or ({None: Funnel()} if by is None else {})


def _funnel_of(rows: list) -> Funnel:
    funnel = Funnel(
        submitted=len(rows),
        accepted=sum(1 for r in rows if r[1]),
        dispatched=sum(1 for r in rows if r[2]),
        completed=sum(1 for r in rows if r[3]),
        rejected=sum(1 for r in rows if r[4] == OrderStatus.REJECTED),
        cancelled=sum(1 for r in rows if r[4] == OrderStatus.CANCELLED),
    )
    stamp = {"submitted_at": 0, "accepted_at": 1, "dispatched_at": 2, "completed_at": 3}
    for k, (end, start) in MEDIAN_STEPS.items():
        spans = [hours(r[stamp[end]] - r[stamp[start]]) for r in rows if r[stamp[end]] and r[stamp[start]]]
        funnel.median_hours[k] = stars.median(spans)
    return funnel


def active_residents(f: Filters, by: str | None = None):
    """Distinct residents present at a session in the period (roll-up `ResidentActivity`): a number, or per
    value of the lookup `by` a dict (a resident counts once in each group). One query."""
    seen = f.categories(f.communities(ResidentActivity.objects.filter(last_day__gte=f.start), "community_id"), "category_id")
    if by is None:
        return seen.aggregate(n=Count("resident_id", distinct=True))["n"]
    return dict(seen.values(key=F(by)).order_by().annotate(n=Count("resident_id", distinct=True)).values_list("key", "n"))


@dataclass
class Flows:
    """Sums of the daily roll-up counters (see `CategoryDay`)."""

    sessions: int = 0
    sessions_held: int = 0
    sessions_cancelled: int = 0
    attendance_records: int = 0
    attendance_present: int = 0
    ratings: int = 0
    rating_stars: int = 0
    talks_held: int = 0
    orders_submitted: int = 0
    orders_accepted: int = 0
    orders_dispatched: int = 0
    orders_completed: int = 0

    def add(self, row: dict) -> None:
        for name in CategoryDay.COUNTERS:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))

    @property
    def attendance_rate(self) -> float | None:
        return self.attendance_present / self.attendance_records if self.attendance_records else None

    @property
    def satisfaction(self) -> float | None:
        return self.rating_stars / self.ratings if self.ratings else None


def _counter_sums() -> dict:
    return {name: Sum(name) for name in CategoryDay.COUNTERS}


@dataclass
class CommunityRow:
    community_id: int
    registered: int = 0
    active: int = 0
    flows: Flows = field(default_factory=Flows)


@dataclass
class OverviewData:
    residents_registered: int
    active_residents: int
    groups_active: int
    sessions_week: int
    sessions_month: int
    period: Flows
    funnel: Funnel
    daily: list[tuple[date, int, int, int]]  # day, sessions (not cancelled), present, held
    by_community: list[CommunityRow]


def overview(f: Filters) -> OverviewData:
    """The one-screen overview. Seven queries:

    1. registered residents per community (roll-up `CommunityDay`, summed up to today);
    2-3. distinct residents present at a session in the period, in all and per community (roll-up
       `ResidentActivity`: a resident counts once in the total and once in each community);
    4. active interest groups;
    5. the roll-up counters per day, over the period and this week and month (`CategoryDay`);
    6. the same counters per community over the period;
    7. the order funnel of orders submitted in the period, with median times (`order_funnel`).
    """
    week_start = f.today - timedelta(days=f.today.weekday())
    week_end = week_start + timedelta(days=6)
    month_start = f.today.replace(day=1)
    month_end = stars.next_month(month_start) - timedelta(days=1)

    registered = dict(
        f.communities(CommunityDay.objects.filter(day__lte=f.today), "community_id")
        .values("community_id")
        .order_by()
        .annotate(n=Sum("residents_joined"))
        .values_list("community_id", "n")
    )
    active = active_residents(f)
    active_by_community = active_residents(f, "community_id")
    groups = f.categories(f.communities(InterestGroup.objects.filter(is_active=True), "community_id"), "category_id").count()

    days = f.categories(
        f.communities(
            CategoryDay.objects.filter(day__gte=min(f.start, week_start, month_start), day__lte=max(f.end, week_end, month_end)),
            "community_id",
        ),
        "category_id",
    )
    by_day = {row["day"]: row for row in days.values("day").order_by("day").annotate(**_counter_sums())}
    sessions_week = sum(row["sessions"] for day, row in by_day.items() if week_start <= day <= week_end)
    sessions_month = sum(row["sessions"] for day, row in by_day.items() if month_start <= day <= month_end)
    period, daily = _period_flows(f, by_day)
    communities = _community_rows(f, days, registered, active_by_community)
    orders = Order.objects.filter(submitted_at__gte=f.start_at, submitted_at__lt=f.end_at)
    funnel = order_funnel(f.categories(f.communities(orders, "community_id"), "category_id"))
    return OverviewData(
        residents_registered=sum(n or 0 for n in registered.values()),
        active_residents=active,
        groups_active=groups,
        sessions_week=sessions_week,
        sessions_month=sessions_month,
        period=period,
        funnel=funnel,
        daily=daily,
        by_community=sorted(communities.values(), key=lambda r: r.community_id),
    )


def _period_flows(f: Filters, by_day: dict[date, dict]) -> tuple[Flows, list[tuple[date, int, int, int]]]:
    """The period's counters summed, and one (day, sessions, present, held) row per day of the period."""
    period, daily = Flows(), []
    for day, row in by_day.items():
        if f.start <= day <= f.end:
            period.add(row)
    day = f.start
    while day <= f.end:
        row = by_day.get(day, {})
        daily.append((day, row.get("sessions") or 0, row.get("attendance_present") or 0, row.get("sessions_held") or 0))
        day += timedelta(days=1)
    return period, daily


def _community_rows(f: Filters, days, registered: dict, active_by_community: dict) -> dict[int, CommunityRow]:
    """Per community: the period's counters (one query), registered and active residents."""
    communities: dict[int, CommunityRow] = {}
    in_period = days.filter(day__gte=f.start, day__lte=f.end)
    for row in in_period.values("community_id").order_by().annotate(**_counter_sums()):
        communities.setdefault(row["community_id"], CommunityRow(row["community_id"])).flows.add(row)
    for community_id, n in registered.items():
        communities.setdefault(community_id, CommunityRow(community_id)).registered = n or 0
    for community_id, n in active_by_community.items():
        communities.setdefault(community_id, CommunityRow(community_id)).active = n
    return communities


# --- Demand against supply -----------------------------------------------------------------------------------

UNMET_STATUSES = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED)


@dataclass(frozen=True)
class ReasonCounts:
    """Unassigned orders by reason, from the matching service."""

    by_reason: dict[str, int]
    by_category_reason: dict[tuple[int, str], int]


def unassigned_reasons(f: Filters) -> ReasonCounts:
    """Why the matching service left orders unplaced (no_teacher, no_venue, no_common_slot, below_min_size,
    capacity), counted by reason and by (interest, reason) for the filters. One query.

    THE ONE PLACE THE DASHBOARDS READ THE MATCHING SERVICE: `activities.dispatch.selectors.
    unassigned_reason_counts`, its "current picture" (each order still accepted, not yet dispatched, with
    the reason of the latest run that considered it). The filters already lie inside the user's scope, so
    the call gets the whole district narrowed to them.
    """
    from activities.dispatch.selectors import unassigned_reason_counts

    rows = unassigned_reason_counts(
        Scope(everything=True),
        community_ids=None if f.community_ids is None else sorted(f.community_ids),
        category_ids=None if f.category_ids is None else sorted(f.category_ids),
    )
    by_reason: dict[str, int] = defaultdict(int)
    by_category_reason: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        by_reason[row.reason] += row.count
        by_category_reason[(row.category_id, row.reason)] += row.count
    return ReasonCounts(by_reason=dict(by_reason), by_category_reason=dict(by_category_reason))


def reason_labels() -> dict[str, str]:
    """The matching service's own labels for its reason codes."""
    from activities.dispatch.enums import UnassignedReason

    return {str(value): str(label) for value, label in UnassignedReason.choices}


@dataclass
class DemandRow:
    community_id: int
    category_id: int
    unmet: int
    oldest: datetime | None


@dataclass
class CategoryDemand:
    category_id: int
    unmet: int = 0
    oldest: datetime | None = None
    submitted: int = 0
    dispatched: int = 0
    teachers: int = 0


@dataclass
class DemandData:
    cells: list[DemandRow]
    categories: list[CategoryDemand]
    reasons: ReasonCounts
    # Near misses staff can act on (issue 22): `activities.dispatch.selectors.NearMissRow`s.
    near_misses: list = field(default_factory=list)


def demand(f: Filters) -> DemandData:
    """Demand against supply. Three queries:

    1. unmet orders (submitted or accepted, not yet dispatched) by community and interest, with the oldest;
    2. orders submitted in the period by interest, and how many of them were dispatched;
    3. active teachers of the district's pool with each interest as a skill (the pool is shared);
    4. the matching service's reasons for the unmet ones (`unassigned_reasons`; none without the service).
    """
    unmet = f.categories(f.communities(Order.objects.filter(status__in=UNMET_STATUSES), "community_id"), "category_id")
    cells = [
        DemandRow(row["community_id"], row["category_id"], row["n"], row["oldest"])
        for row in unmet.values("community_id", "category_id").order_by().annotate(n=Count("id"), oldest=Min("submitted_at"))
    ]
    categories: dict[int, CategoryDemand] = {}
    for cell in cells:
        cat = categories.setdefault(cell.category_id, CategoryDemand(cell.category_id))
        cat.unmet += cell.unmet
        cat.oldest = cell.oldest if cat.oldest is None or (cell.oldest and cell.oldest < cat.oldest) else cat.oldest
    period = Order.objects.filter(submitted_at__gte=f.start_at, submitted_at__lt=f.end_at)
    period = f.categories(f.communities(period, "community_id"), "category_id")
    for row in period.values("category_id").order_by().annotate(
        n=Count("id"), dispatched=Count("id", filter=Q(dispatched_at__isnull=False))
    ):
        cat = categories.setdefault(row["category_id"], CategoryDemand(row["category_id"]))
        cat.submitted, cat.dispatched = row["n"], row["dispatched"]
    skills = TeacherSkill.objects.filter(teacher__is_active=True, category_id__in=sorted(categories))
    for row in skills.values("category_id").order_by().annotate(n=Count("teacher_id", distinct=True)):
        categories[row["category_id"]].teachers = row["n"]
    ordered = sorted(categories.values(), key=lambda c: (-c.unmet, -c.submitted, c.category_id))
    return DemandData(cells=cells, categories=ordered, reasons=unassigned_reasons(f), near_misses=near_misses(f))


def near_misses(f: Filters) -> list:
    """The near misses staff can still act on, for the filters (the matching service's own reader)."""
    from activities.dispatch.selectors import live_near_misses

    return live_near_misses(community_ids=f.community_ids, category_ids=f.category_ids)


# --- Venues ------------------------------------------------------------------------------------------------------


@dataclass
class VenueRow:
    id: int
    name: str
    community_id: int
    owner_type: str
    weekly_hours: float
    period_hours: float
    booked_hours: float

    @property
    def utilisation(self) -> float | None:
        return min(1.0, self.booked_hours / self.period_hours) if self.period_hours else None


@dataclass
class VenuesData:
    venues: list[VenueRow]
    week_hours: dict[tuple[int, int], int]  # (ISO weekday 1–7, hour) → bookings starting then


def venues(f: Filters) -> VenuesData:
    """Venue utilisation. Three queries:

    1. the active venues with their weekly opening hours (a subquery sums OpeningHours);
    2. opening hours per venue and weekday, to lay the week over the period's days exactly;
    3. hours booked (pending or confirmed) per venue in the period, and bookings by weekday and hour.

    Utilisation = booked ÷ open hours of the period, capped at 100 % (a booking may run outside the
    published hours). Interest filters do not apply to venues.
    """
    duration = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    venue_rows = f.communities(Venue.objects.filter(is_active=True), "community_id").values_list(
        "id", "name", "community_id", "owner_type"
    )
    rows = {pk: VenueRow(pk, name, community, owner, 0.0, 0.0, 0.0) for pk, name, community, owner in venue_rows}

    weekdays = defaultdict(int)
    day = f.start
    while day <= f.end:
        weekdays[day.weekday()] += 1
        day += timedelta(days=1)
    hours_q = f.communities(OpeningHours.objects.filter(venue__is_active=True), "venue__community_id")
    for venue_id, weekday, total in (
        hours_q.values("venue_id", "weekday").order_by().annotate(total=Sum(duration)).values_list("venue_id", "weekday", "total")
    ):
        if venue_id in rows:
            rows[venue_id].weekly_hours += hours(total)
            rows[venue_id].period_hours += hours(total) * weekdays[weekday]

    bookings = Booking.objects.filter(status__in=HOLDING_STATUSES, starts_at__gte=f.start_at, starts_at__lt=f.end_at)
    bookings = f.communities(bookings.filter(venue__is_active=True), "venue__community_id")
    tz = timezone.get_current_timezone()
    week_hours: dict[tuple[int, int], int] = defaultdict(int)
    booked = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    for venue_id, weekday, hour, n, total in (
        bookings.annotate(wd=ExtractIsoWeekDay("starts_at", tzinfo=tz), hr=ExtractHour("starts_at", tzinfo=tz))
        .values("venue_id", "wd", "hr")
        .order_by()
        .annotate(n=Count("id"), total=Sum(booked))
        .values_list("venue_id", "wd", "hr", "n", "total")
    ):
        week_hours[(weekday, hour)] += n
        if venue_id in rows:
            rows[venue_id].booked_hours += hours(total)
    return VenuesData(venues=sorted(rows.values(), key=lambda r: r.id), week_hours=dict(week_hours))


# --- Teachers ----------------------------------------------------------------------------------------------------


@dataclass
class TeacherRow:
    id: int
    name: str
    community_id: int | None
    kind: str
    max_weekly: int
    sessions_week: int
    sessions_period: int
    score: scores.RatingScore


@dataclass
class SessionScoreRow:
    session_id: int
    course_title: str
    community_id: int
    teacher_name: str | None
    starts_at: datetime
    score: scores.RatingScore


@dataclass
class TeachersData:
    teachers: list[TeacherRow]
    sessions: list[SessionScoreRow]
    weeks: float


def teachers(f: Filters) -> TeachersData:
    """Teachers' load against their maximum, and ratings. Four queries:

    1. the active teachers of the pool whose home community is in the filters (with an interest filter: who
       has one of those interests as a skill);
    2. their meetings (not cancelled) this week and in the period, wherever they teach;
    3. their recency-weighted rating scores (`ratings.scores`);
    4. the hundred lowest-scored sessions of the period (with enough ratings), and 5. their class and teacher.
    """
    week_start = day_start(f.today - timedelta(days=f.today.weekday()))
    pool = f.communities(Teacher.objects.filter(is_active=True), "community_id")
    if f.category_ids is not None:
        pool = pool.filter(skills__category_id__in=sorted(f.category_ids)).distinct()
    rows = list(pool.order_by("name", "id").values_list("id", "name", "community_id", "kind", "max_weekly_sessions"))
    pool_ids = pool.values("id")
    load = {
        row["course__teacher_id"]: row
        for row in Session.objects.filter(course__teacher_id__in=pool_ids)
        .exclude(status=SessionStatus.CANCELLED)
        .filter(starts_at__gte=min(f.start_at, week_start), starts_at__lt=max(f.end_at, week_start + timedelta(days=7)))
        .values("course__teacher_id")
        .order_by()
        .annotate(
            week=Count("id", filter=Q(starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7))),
            period=Count("id", filter=Q(starts_at__gte=f.start_at, starts_at__lt=f.end_at)),
        )
    }
    ratings = scores.scored(SessionRating.objects.filter(teacher_id__in=pool_ids), "teacher_id")
    teacher_rows = [
        TeacherRow(
            pk, name, community, kind, max_weekly,
            load.get(pk, {}).get("week", 0), load.get(pk, {}).get("period", 0), ratings.get(pk, scores.NO_SCORE),
        )
        for pk, name, community, kind, max_weekly in rows
    ]

    rated = SessionRating.objects.filter(session__starts_at__gte=f.start_at, session__starts_at__lt=f.end_at)
    rated = f.categories(f.communities(rated, "session__course__community_id"), "session__course__category_id")
    # The database ranks the sessions and keeps a hundred; their class and teacher come in a second query
    # (joining them into the ranking would join every rating of the period).
    lowest = list(scores.session_means(rated).order_by("mean", "session_id")[:PAGE_ROWS])
    details = {
        pk: rest
        for pk, *rest in Session.objects.filter(pk__in=[row["session_id"] for row in lowest]).values_list(
            "id", "course__title", "course__community_id", "course__teacher__name", "starts_at"
        )
    } if lowest else {}
    session_rows = [
        SessionScoreRow(row["session_id"], *details[row["session_id"]],
                        scores.RatingScore(count=row["n"], weighted_mean=row["mean"], mean=row["mean"]))
        for row in lowest
        if row["session_id"] in details
    ]
    return TeachersData(teachers=teacher_rows, sessions=session_rows, weeks=f.days / 7)


# --- The star map ------------------------------------------------------------------------------------------------


@dataclass
class CollegeStars:
    college_id: int
    name: str
    community_id: int
    stars: int
    history: list[tuple[date, int, float]]  # period, stars, score: oldest first


@dataclass
class StarsData:
    colleges: list[CollegeStars]
    periods: list[date]


def star_map(f: Filters) -> StarsData:
    """Every college in the filters with its level and the last twelve periods. Two queries. Interest and
    period filters do not apply (stars are rated per month over everything a college does)."""
    colleges = f.communities(College.objects.all(), "community_id").order_by("name", "id")
    rows = {
        pk: CollegeStars(pk, name, community, level, [])
        for pk, name, community, level in colleges.values_list("id", "name", "community_id", "stars")
    }
    since = stars.month_start(f.today)
    for _ in range(STAR_TREND_PERIODS):
        since = stars.previous_month(since)
    records = f.communities(CollegeStarRecord.objects.filter(period__gte=since), "college__community_id")
    periods = set()
    for college_id, period, level, score in records.order_by("period").values_list("college_id", "period", "stars", "score"):
        if college_id in rows:
            rows[college_id].history.append((period, level, score))
            periods.add(period)
    return StarsData(colleges=list(rows.values()), periods=sorted(periods))


def college_history(*, college_id: int) -> list[CollegeStarRecord]:
    """A college's star records, latest first: one query."""
    return list(CollegeStarRecord.objects.filter(college_id=college_id).order_by("-period"))


PAGES: dict[str, Callable[[Filters], object]] = {
    "overview": overview,
    "demand": demand,
    "venues": venues,
    "teachers": teachers,
    "stars": star_map,
    "funds": lambda f: funds_data(f),  # defined below with the money pillar (funds)
    "showcases": lambda f: showcases_data(f),  # defined below (兴趣展示 and stories)
    "city": lambda f: city_comparison(f),  # defined below (the city office's comparison of districts)
}


# --- Figures for the monthly star rating -------------------------------------------------------------------------


@dataclass(frozen=True)
class StarWindow:
    period: date
    start: date
    end: date  # exclusive: the first day of the next month
    orders_start: date

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        return day_start(self.end)

    @property
    def orders_start_at(self) -> datetime:
        return day_start(self.orders_start)


def star_window(period: date) -> StarWindow:
    end = stars.next_month(period)
    return StarWindow(period, period, end, end - timedelta(days=stars.ORDER_WINDOW_DAYS))


def college_figures(*, period: date, now: datetime) -> tuple[list[College], dict[int, stars.CollegeFigures]]:
    """Every college, and the figures of its community for the month `period`. Thirteen queries, however many
    colleges; each figure is described in `ratings.stars.INDICATORS`."""
    w = star_window(stars.month_start(period))
    until = min(now, w.end_at)
    colleges = list(College.objects.select_related("community__street").order_by("id"))
    figures = {c.pk: stars.CollegeFigures(population=c.community.population) for c in colleges}
    by_community = {c.community_id: figures[c.pk] for c in colleges}
    month_sessions = Session.objects.filter(starts_at__gte=w.start_at, starts_at__lt=w.end_at)
    _venue_figures(by_community, w)
    _teacher_figures(by_community, month_sessions, until)
    _offer_figures(by_community, month_sessions)
    _order_figures(by_community, w)
    held_sessions = held_q(now=until, prefix="session__")
    _attendance_figures(by_community, w, held_sessions)
    _rating_figures(by_community, w, held_sessions, until)
    _talk_and_group_figures(by_community, w)
    _money_figures(by_community, w)
    _matter_figures(by_community, w, until)
    _showcase_figures(by_community, w, until)
    return colleges, figures


_Figures = dict[int, stars.CollegeFigures]


def _venue_figures(by_community: _Figures, w: StarWindow) -> None:
    """Opening hours a week and in the month, and hours booked in the month, of the community's venues."""
    weekday_count = defaultdict(int)
    day = w.start
    while day < w.end:
        weekday_count[day.weekday()] += 1
        day += timedelta(days=1)
    duration = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    for community, weekday, total in (
        OpeningHours.objects.filter(venue__is_active=True)
        .values("venue__community_id", "weekday")
        .order_by()
        .annotate(total=Sum(duration))
        .values_list("venue__community_id", "weekday", "total")
    ):
        if community in by_community:
            by_community[community].weekly_open_hours += hours(total)
            by_community[community].month_open_hours += hours(total) * weekday_count[weekday]

    booked = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    for community, total in (
        Booking.objects.filter(
            status__in=HOLDING_STATUSES, venue__is_active=True, starts_at__gte=w.start_at, starts_at__lt=w.end_at
        )
        .values("venue__community_id")
        .order_by()
        .annotate(total=Sum(booked))
        .values_list("venue__community_id", "total")
    ):
        if community in by_community:
            by_community[community].booked_hours = hours(total)


def _teacher_figures(by_community: _Figures, month_sessions, until: datetime) -> None:
    """Teachers who gave a session this month, their shown scores, and the community's pool."""
    active: dict[int, set[int]] = defaultdict(set)
    for community, teacher in (
        month_sessions.filter(held_q(now=until), course__teacher__isnull=False)
        .values_list("course__community_id", "course__teacher_id")
        .distinct()
        .order_by()
    ):
        active[community].add(teacher)
    shown = {pk: s.weighted_mean for pk, s in scores.teacher_scores(now=until).items() if s.shown}
    for community, fig in by_community.items():
        fig.active_teacher_ids = frozenset(active.get(community, ()))
        fig.teacher_scores = {t: shown[t] for t in fig.active_teacher_ids if t in shown}

    for community, n in (
        Teacher.objects.filter(is_active=True, community__isnull=False)
        .values("community_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    ):
        if community in by_community:
            by_community[community].pool_teachers = n


def _offer_figures(by_community: _Figures, month_sessions) -> None:
    """How many interests the month's sessions covered."""
    for community, n in (
        month_sessions.exclude(status=SessionStatus.CANCELLED)
        .values("course__community_id")
        .order_by()
        .annotate(n=Count("course__category_id", distinct=True))
        .values_list("course__community_id", "n")
    ):
        if community in by_community:
            by_community[community].categories_offered = n


def _order_figures(by_community: _Figures, w: StarWindow) -> None:
    """Orders of the order window: how many, how many dispatched, hours to accept and to dispatch."""
    orders = Order.objects.filter(submitted_at__gte=w.orders_start_at, submitted_at__lt=w.end_at).exclude(
        status=OrderStatus.CANCELLED, dispatched_at__isnull=True
    )
    to_accept, to_dispatch = defaultdict(list), defaultdict(list)
    for community, submitted, accepted, dispatched in orders.values_list(
        "community_id", "submitted_at", "accepted_at", "dispatched_at"
    ):
        fig = by_community.get(community)
        if fig is None:
            continue
        fig.orders_considered += 1
        if accepted and accepted < w.end_at:
            to_accept[community].append(hours(accepted - submitted))
        if dispatched and dispatched < w.end_at:
            fig.orders_dispatched += 1
            to_dispatch[community].append(hours(dispatched - submitted))
    for community, fig in by_community.items():
        fig.hours_to_accept = tuple(to_accept.get(community, ()))
        fig.hours_to_dispatch = tuple(to_dispatch.get(community, ()))


def _attendance_figures(by_community: _Figures, w: StarWindow, held_sessions: Q) -> None:
    for row in (
        Attendance.objects.filter(held_sessions, session__starts_at__gte=w.start_at, session__starts_at__lt=w.end_at)
        .values(community=F("session__course__community_id"))
        .order_by()
        .annotate(
            records=Count("id"),
            present=Count("id", filter=Q(attended=True)),
            residents=Count("resident_id", filter=Q(attended=True), distinct=True),
        )
    ):
        fig = by_community.get(row["community"])
        if fig is not None:
            fig.attendance_records, fig.attendance_present, fig.active_residents = row["records"], row["present"], row["residents"]


def _rating_figures(by_community: _Figures, w: StarWindow, held_sessions: Q, until: datetime) -> None:
    for row in (
        SessionRating.objects.filter(
            held_sessions,
            is_hidden=False,
            created__lt=until,
            session__starts_at__gte=w.start_at,
            session__starts_at__lt=w.end_at,
        )
        .values(community=F("session__course__community_id"))
        .order_by()
        .annotate(n=Count("id"), total=Coalesce(Sum("stars"), Value(0), output_field=IntegerField()))
    ):
        fig = by_community.get(row["community"])
        if fig is not None:
            fig.ratings_count, fig.ratings_sum = row["n"], row["total"]


def _talk_and_group_figures(by_community: _Figures, w: StarWindow) -> None:
    for community, n in (
        PolicyTalk.objects.filter(
            status=PolicyTalkStatus.HELD, session__starts_at__gte=w.start_at, session__starts_at__lt=w.end_at
        )
        .values("session__course__community_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("session__course__community_id", "n")
    ):
        if community in by_community:
            by_community[community].policy_talks = n

    for community, n in (
        InterestGroup.objects.filter(is_active=True, created__lt=w.end_at)
        .values("community_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    ):
        if community in by_community:
            by_community[community].groups_active = n


def _matter_figures(by_community: _Figures, w: StarWindow, until: datetime) -> None:
    # 协商议事: matters raised in the order window that were answered, or are overdue, by the end of the month.
    from consultation.models import Matter

    for row in (
        Matter.objects.filter(raised_at__gte=w.orders_start_at, raised_at__lt=w.end_at)
        # Answered by the end of the month (on time or not), or still unanswered past its deadline.
        .filter(Q(answered_at__lt=w.end_at) | Q(answered_at__isnull=True, due_at__lt=until))
        .values("community_id")
        .order_by()
        .annotate(due=Count("id"), on_time=Count("id", filter=Q(answered_on_time=True)))
    ):
        fig = by_community.get(row["community_id"])
        if fig is not None:
            fig.matters_due, fig.matters_on_time = row["due"], row["on_time"]


def _showcase_figures(by_community: _Figures, w: StarWindow, until: datetime) -> None:
    """兴趣展示: approved showcases that started in the month and were over by its end (or by now)."""
    from activities.showcase_selectors import showcases_held

    for community, n in showcases_held(start=w.start_at, end=w.end_at, now=until).items():
        if community in by_community:
            by_community[community].showcases_held = n


def _money_figures(by_community: dict[int, stars.CollegeFigures], w: StarWindow) -> None:
    """The money pillar's inputs from the fund's ledger (12 months up to the period's end), and the
    district's median cost per participant-hour. Three queries."""
    from funds.selectors import money_figures, month_window

    start, end = month_window(w.start, months=12)
    for community, money in money_figures(start=start, end=end).items():
        fig = by_community.get(community)
        if fig is None:
            continue
        fig.income_total = float(money.income_total)
        fig.income_non_fiscal = float(money.non_fiscal)
        fig.budget, fig.budget_spent = float(money.budget), float(money.budget_spent)
        fig.spending, fig.participant_hours = float(money.spending), money.participant_hours
    costs = [c for c in (stars.cost_per_participant_hour(f) for f in by_community.values()) if c is not None]
    district_median = stars.median(costs)
    for fig in by_community.values():
        fig.district_median_cost = district_median



# --- Funds (钱有来源): money by source and use across communities ----------------------------------------------------


@dataclass(frozen=True)
class FundsRow:
    community_id: int
    income: dict[str, float]
    spending: float
    budget: float
    budget_spent: float
    participant_hours: float


@dataclass(frozen=True)
class FundsData:
    rows: list[FundsRow]
    start: date
    end: date  # exclusive


def funds_data(f: Filters) -> FundsData:
    """Each community's money in the period, from the fund's ledger: three aggregate queries whatever the
    number of postings (see `funds.selectors.money_figures`)."""
    from funds.selectors import money_figures

    # Whole calendar months from the period's first month: the ledger is summed by month.
    end = f.end + timedelta(days=1)
    figures = money_figures(start=f.start.replace(day=1), end=end, community_ids=f.community_ids)
    rows = [
        FundsRow(
            community,
            {code: float(v) for code, v in m.income.items()},
            float(m.spending),
            float(m.budget),
            float(m.budget_spent),
            m.participant_hours,
        )
        for community, m in sorted(figures.items())
    ]
    return FundsData(rows, f.start.replace(day=1), end)


# --- Showcases (兴趣展示) and stories (人物故事) per community --------------------------------------------------------


@dataclass(frozen=True)
class ShowcasesRow:
    community_id: int
    held: int
    upcoming: int
    audience: int
    stories: int
    photos: int


@dataclass(frozen=True)
class ShowcasesData:
    rows: list[ShowcasesRow]


def showcases_data(f: Filters) -> ShowcasesData:
    """Showcases held and coming, their confirmed audience, published stories and shown photos per community,
    for showcases starting (stories published) in the period: three aggregate queries whatever the number."""
    from activities.showcase_selectors import showcase_figures

    figures = showcase_figures(
        community_ids=None if f.community_ids is None else sorted(f.community_ids), start=f.start_at, end=f.end_at
    )
    rows = [
        ShowcasesRow(community, fig.held, fig.upcoming, fig.audience, fig.stories, fig.photos)
        for community, fig in sorted(figures.items())
    ]
    return ShowcasesData(rows)


# --- The city (全市): districts side by side, by the district pages' own selectors ------------------------------

DISTRICT_PATH = "community__street__district_id"


@dataclass
class DistrictRow:
    district_id: int
    name: str
    population: int = 0
    colleges: int = 0
    active: int = 0
    funnel: Funnel = field(default_factory=Funnel)
    star_levels: list[int] = field(default_factory=list)
    income: dict[str, float] = field(default_factory=dict)

    @property
    def per_thousand(self) -> float | None:
        """Residents present at a session in the period per 1,000 registered residents."""
        return self.active * 1000 / self.population if self.population else None

    @property
    def orders_to_classes(self) -> float | None:
        """The share of the period's orders dispatched (派单) into a class."""
        return self.funnel.dispatched / self.funnel.submitted if self.funnel.submitted else None

    @property
    def median_days_to_dispatch(self) -> float | None:
        value = self.funnel.median_hours.get("submit_to_dispatch")
        return None if value is None else value / 24

    @property
    def mean_stars(self) -> float | None:
        return sum(self.star_levels) / len(self.star_levels) if self.star_levels else None


@dataclass
class CityData:
    rows: list[DistrictRow]


def city_comparison(f: Filters) -> CityData:
    """Every district's participation, order loop, stars and funds, computed by the selectors the district
    pages use (`active_residents`, `order_funnels`, `star_map`, `funds_data`) over the whole city, grouped
    by district. Nine queries whatever the number of districts: districts, communities, active residents,
    the order funnels, the star map (2) and the funds (3)."""
    from accounts.models import District

    rows = {pk: DistrictRow(pk, name) for pk, name in District.objects.order_by("name", "pk").values_list("pk", "name")}
    district_of: dict[int, int] = {}
    for community_id, district_id, population in f.communities(Community.objects.all(), "pk").values_list(
        "pk", "street__district_id", "population"
    ):
        district_of[community_id] = district_id
        rows[district_id].population += population or 0
    for district_id, n in active_residents(f, DISTRICT_PATH).items():
        rows[district_id].active = n
    orders = Order.objects.filter(submitted_at__gte=f.start_at, submitted_at__lt=f.end_at)
    for district_id, funnel in order_funnels(f.categories(f.communities(orders, "community_id"), "category_id"), by=DISTRICT_PATH).items():
        rows[district_id].funnel = funnel
    for college in star_map(f).colleges:
        row = rows[district_of[college.community_id]]
        row.colleges += 1
        row.star_levels.append(college.stars)
    for money in funds_data(f).rows:
        income = rows[district_of[money.community_id]].income
        for source, amount in money.income.items():
            income[source] = income.get(source, 0.0) + amount
    return CityData(list(rows.values()))
