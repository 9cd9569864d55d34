"""Writes of the dashboards app: the daily roll-ups, the monthly college star rating, publishing a standard.

Every write here is idempotent: running it twice for the same days or period leaves the same rows, so a
beat that fires twice or a retried task does no harm.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import College
from accounts.offices import require_city_office, require_district_office
from activities.enums import PolicyTalkStatus, SessionStatus
from activities.models import Attendance, Order, PolicyTalk, Session
from interests.models import ResidentProfile
from ratings import stars
from ratings.models import CollegeStarRecord, SessionRating

from . import selectors
from .models import CategoryDay, CommunityDay, ResidentActivity, StandardIndicator, StarStandard

ROLLUP_BATCH = 2000
F_SESSION_COMMUNITY = F("session__course__community_id")
F_SESSION_CATEGORY = F("session__course__category_id")
# What the frequent refresh rebuilds around today: attendance is marked and ratings come in during the week
# after a meeting; meetings are published weeks ahead ("sessions this month" counts the coming ones).
RECENT_DAYS_BACK = 8
RECENT_DAYS_AHEAD = 40


def bump_generation() -> None:
    """Make every cached dashboard stale at once (the cache keys carry the generation)."""
    try:
        cache.incr(selectors.GENERATION_KEY)
    except ValueError:  # not set yet, or evicted
        cache.set(selectors.GENERATION_KEY, 2, None)


# --- Daily roll-ups ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupReport:
    start: date | None
    end: date | None
    category_days: int
    community_days: int
    seconds: float


def _in_days(field: str, start: date | None, end: date | None) -> Q:
    """`field` (a timestamp) falls on a local day from `start` to `end`, inclusive; None leaves a side open."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": selectors.day_start(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": selectors.day_start(end + timedelta(days=1))})
    return q


# Any constant: the key of the advisory lock that serialises roll-up refreshes.
ROLLUP_LOCK_KEY = 0x0DA5B0A2D


def _serialise_refreshes() -> None:
    """Two refreshes of overlapping days at once (a slow nightly rebuild and a 15-minute refresh) would each
    delete the range and insert it again; the second insert would then meet the first one's rows and fail
    on the unique constraint. On PostgreSQL a transaction-scoped advisory lock makes the second wait for
    the first to commit; SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])


def rollups_refresh(
    *,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    community_ids: Collection[int] | None = None,
) -> RollupReport:
    """Rebuild the daily roll-ups of the local days `start`..`end` (inclusive) from the source tables.

    None on either side means "as far as there is data": `rollups_refresh()` rebuilds everything (the
    nightly task; a few seconds at district scale). Twelve grouped queries, then one transaction that
    swaps the range's rows, so readers see either the old or the new figures, never half.

    `ResidentActivity` (the last day each resident was present) is rebuilt whole by a full refresh, and
    raised by a partial one; a partial refresh must reach today for it to stay right (the recent one does).

    `community_ids` limits the rebuild to those communities' rows (a district's, when the nightly rebuild fans
    out over a city's districts: `dashboards.tasks.rebuild_rollups`); the others' rows stay as they are.
    """
    began = clock.monotonic()
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    counters: dict[tuple[date, int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(CategoryDay.COUNTERS, 0))
    for rows, mapping in _category_day_queries(start, end, now, tz, community_ids):
        for row in rows:
            bucket = counters[(row["day"], row["community"], row["category"])]
            for counter, key in mapping.items():
                bucket[counter] += row[key]
    category_days = [
        CategoryDay(day=day, community_id=community, category_id=category, **values)
        for (day, community, category), values in counters.items()
        if community is not None and category is not None
    ]
    community_days = _community_days(start, end, tz, community_ids)
    last_seen = _last_seen(start, end, tz, community_ids)
    _swap_rollups(start, end, now, category_days, community_days, last_seen, community_ids)
    return RollupReport(start, end, len(category_days), len(community_days), clock.monotonic() - began)


def _in_communities(path: str, community_ids: Collection[int] | None) -> Q:
    return Q() if community_ids is None else Q(**{f"{path}__in": list(community_ids)})


# Each step of an order counts on the local day the order took it, in the order's community and interest.
ORDER_STEP_COUNTERS = (
    ("submitted_at", "orders_submitted"),
    ("accepted_at", "orders_accepted"),
    ("dispatched_at", "orders_dispatched"),
    ("completed_at", "orders_completed"),
)


def _category_day_queries(
    start: date | None, end: date | None, now: datetime, tz, community_ids: Collection[int] | None = None
) -> list[tuple[QuerySet, dict[str, str]]]:
    """The grouped queries behind CategoryDay, each with how its columns add to the counters (unevaluated:
    the caller reads them in this order)."""
    in_range = (start, end, tz, community_ids)
    queries = [
        (
            _sessions_by_day(start, end, now, tz, community_ids),
            {"sessions": "n", "sessions_held": "held", "sessions_cancelled": "cancelled"},
        ),
        (
            _by_meeting_day(Attendance, *in_range).annotate(
                records=Count("id"), present=Count("id", filter=Q(attended=True))
            ),
            {"attendance_records": "records", "attendance_present": "present"},
        ),
        (
            _by_meeting_day(SessionRating, *in_range, is_hidden=False).annotate(
                n=Count("id"), total=Sum("stars")
            ),
            {"ratings": "n", "rating_stars": "total"},
        ),
        (
            _by_meeting_day(PolicyTalk, *in_range, status=PolicyTalkStatus.HELD).annotate(n=Count("id")),
            {"talks_held": "n"},
        ),
    ]
    for stamp, counter in ORDER_STEP_COUNTERS:
        queries.append((_orders_by_day(stamp, *in_range), {counter: "n"}))
    return queries


def _sessions_by_day(
    start: date | None, end: date | None, now: datetime, tz, community_ids: Collection[int] | None
) -> QuerySet:
    """Meetings by local day, community and interest: those not cancelled, those held by `now`, and those
    cancelled."""
    return (
        Session.objects.filter(_in_days("starts_at", start, end), _in_communities("course__community_id", community_ids))
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .values("day", community=selectors.F_COURSE_COMMUNITY, category=selectors.F_COURSE_CATEGORY)
        .order_by()
        .annotate(
            n=Count("id", filter=~Q(status=SessionStatus.CANCELLED)),
            held=Count("id", filter=selectors.held_q(now=now)),
            cancelled=Count("id", filter=Q(status=SessionStatus.CANCELLED)),
        )
    )


def _by_meeting_day(
    model, start: date | None, end: date | None, tz, community_ids: Collection[int] | None, **where
) -> QuerySet:
    """Rows that belong to a meeting (attendance, ratings, policy talks) count on the local day of that
    meeting, in its class's community and interest; grouped so, ready for the caller's counts."""
    return (
        model.objects.filter(
            _in_days("session__starts_at", start, end),
            _in_communities("session__course__community_id", community_ids),
            **where,
        )
        .annotate(day=TruncDate("session__starts_at", tzinfo=tz))
        .values("day", community=F_SESSION_COMMUNITY, category=F_SESSION_CATEGORY)
        .order_by()
    )


def _orders_by_day(
    stamp: str, start: date | None, end: date | None, tz, community_ids: Collection[int] | None
) -> QuerySet:
    """Orders that took the step stamped `stamp`, by the local day they took it, community and interest."""
    return (
        Order.objects.filter(
            _in_days(stamp, start, end),
            _in_communities("community_id", community_ids),
            **{f"{stamp}__isnull": False},
        )
        .annotate(day=TruncDate(stamp, tzinfo=tz))
        .values("day", "community", "category")
        .order_by()
        .annotate(n=Count("id"))
    )


def _community_days(
    start: date | None, end: date | None, tz, community_ids: Collection[int] | None = None
) -> list[CommunityDay]:
    joined = (
        ResidentProfile.objects.filter(_in_days("created", start, end), _in_communities("community_id", community_ids))
        .annotate(day=TruncDate("created", tzinfo=tz))
        .values("day", "community")
        .order_by()
        .annotate(n=Count("id"))
    )
    return [CommunityDay(day=row["day"], community_id=row["community"], residents_joined=row["n"]) for row in joined]


def _last_seen(
    start: date | None, end: date | None, tz, community_ids: Collection[int] | None = None
) -> list[ResidentActivity]:
    """The last day each resident was present in the range, per community and interest."""
    return [
        ResidentActivity(
            resident_id=row["resident_id"], community_id=row["community"], category_id=row["category"], last_day=row["last"]
        )
        for row in Attendance.objects.filter(
            _in_days("session__starts_at", start, end),
            _in_communities("session__course__community_id", community_ids),
            attended=True,
        )
        .annotate(day=TruncDate("session__starts_at", tzinfo=tz))
        .values("resident_id", community=F_SESSION_COMMUNITY, category=F_SESSION_CATEGORY)
        .order_by()
        .annotate(last=Max("day"))
    ]


def _swap_rollups(
    start: date | None,
    end: date | None,
    now: datetime,
    category_days: list[CategoryDay],
    community_days: list[CommunityDay],
    last_seen: list[ResidentActivity],
    community_ids: Collection[int] | None = None,
) -> None:
    """One transaction replaces the range's rows, so readers see either the old or the new figures."""
    day_range = _in_communities("community_id", community_ids)
    if start is not None:
        day_range &= Q(day__gte=start)
    if end is not None:
        day_range &= Q(day__lte=end)
    with transaction.atomic():
        _serialise_refreshes()
        CategoryDay.objects.filter(day_range).delete()
        CommunityDay.objects.filter(day_range).delete()
        CategoryDay.objects.bulk_create(category_days, batch_size=ROLLUP_BATCH)
        CommunityDay.objects.bulk_create(community_days, batch_size=ROLLUP_BATCH)
        if start is None:
            ResidentActivity.objects.filter(_in_communities("community_id", community_ids)).delete()
            ResidentActivity.objects.bulk_create(last_seen, batch_size=ROLLUP_BATCH)
        elif end is None or end >= timezone.localdate(now):
            # A window ending today or later holds every presence from `start` on, so its latest day per
            # resident is the true latest day of whoever appears in it; the others keep their row.
            ResidentActivity.objects.bulk_create(
                last_seen,
                batch_size=ROLLUP_BATCH,
                update_conflicts=True,
                unique_fields=["resident", "community", "category"],
                update_fields=["last_day"],
            )
        transaction.on_commit(bump_generation)


def rollups_refresh_recent(
    *, now: datetime | None = None, community_ids: Collection[int] | None = None
) -> RollupReport:
    """The frequent refresh: the days around today (see RECENT_DAYS_BACK and RECENT_DAYS_AHEAD)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return rollups_refresh(
        start=today - timedelta(days=RECENT_DAYS_BACK),
        end=today + timedelta(days=RECENT_DAYS_AHEAD),
        now=now,
        community_ids=community_ids,
    )


def district_community_ids(district_id: int) -> list[int]:
    """The communities of a district (what one task of a fanned-out refresh rebuilds)."""
    from accounts.models import Community

    return list(Community.objects.filter(street__district_id=district_id).values_list("pk", flat=True))


ON_DEMAND_KEY = "dashboards:rollups:on-demand"
ON_DEMAND_SECONDS = 15 * 60


def rollups_refresh_on_demand() -> RollupReport | None:
    """Without a broker (development, `make run`: Celery runs tasks in-process and no beat runs), refresh the
    roll-ups when a dashboard is read, at most every 15 minutes; the first time, when there are none at all,
    build them whole. Does nothing where beat does the work (a broker is configured), or when
    `settings.DASHBOARDS_REFRESH_ON_DEMAND` is False (the tests, which refresh explicitly)."""
    if not getattr(settings, "DASHBOARDS_REFRESH_ON_DEMAND", settings.CELERY_TASK_ALWAYS_EAGER):
        return None
    if not cache.add(ON_DEMAND_KEY, 1, ON_DEMAND_SECONDS):
        return None
    if not CommunityDay.objects.exists():
        return rollups_refresh()
    return rollups_refresh_recent()


# --- The star standard ----------------------------------------------------------------------------------------


def standards_in_force(*, period: date) -> dict[int | None, StarStandard]:
    """Per district id (None: the city's default), the published standard that rates `period`.

    Two queries however many districts: every published version up to the period, and their indicators.
    """
    chosen: dict[int | None, StarStandard] = {}
    published = (
        StarStandard.objects.filter(published_at__isnull=False, effective_from__lte=period)
        .prefetch_related("indicators")
        .order_by("-effective_from", "-published_at", "-id")
    )
    for standard in published:
        chosen.setdefault(standard.district_id, standard)
    return chosen


def standard_in_force(*, period: date, district_id: int | None = None) -> StarStandard | None:
    """The published standard that rates `period` in `district_id`: the district's own latest version
    effective by then (adopted and perhaps adapted), or else the city's default."""
    chosen = standards_in_force(period=period)
    if district_id is not None and district_id in chosen:
        return chosen[district_id]
    return chosen.get(None)


def _require_writer(standard_district_id: int | None, user) -> None:
    """The city office writes the city's default; a district office writes its own district's versions."""
    if user is None:  # the system itself: migrations, the demo, tests of the computation
        return
    if standard_district_id is None:
        require_city_office(user)
    else:
        require_district_office(user, standard_district_id)


def star_standard_publish(*, standard: StarStandard, user=None) -> StarStandard:
    """Publish a draft standard: from its `effective_from` month on, the computation uses it (in its
    district, or, for the city's default, in every district without a version of its own).

    A published standard is not edited afterwards (the admin shows it read-only); a change is a new
    version, made with `star_standard_copy` and published in turn.
    """
    _require_writer(standard.district_id, user)
    if standard.is_published:
        raise ValidationError(_("This standard is already published."))
    standard.full_clean()
    codes = set(standard.indicators.values_list("code", flat=True))
    missing = [stars.INDICATOR_BY_CODE[c].label for c in stars.INDICATOR_BY_CODE if c not in codes]
    if missing:
        raise ValidationError(
            _("Give every indicator a weight (0 leaves it out) before publishing. Missing: %(names)s")
            % {"names": ", ".join(str(m) for m in missing)}
        )
    if not standard.indicators.filter(weight__gt=0).exists():
        raise ValidationError(_("At least one indicator needs a weight above 0."))
    standard.published_at = timezone.now()
    standard.published_by = user if user is not None and user.is_authenticated else None
    standard.save(update_fields=["published_at", "published_by"])
    return standard


def _copy(standard: StarStandard, **fields) -> StarStandard:
    copy = StarStandard.objects.create(
        two_stars=standard.two_stars,
        three_stars=standard.three_stars,
        four_stars=standard.four_stars,
        five_stars=standard.five_stars,
        note=standard.note,
        origin=standard,
        **fields,
    )
    StandardIndicator.objects.bulk_create(
        StandardIndicator(standard=copy, code=i.code, weight=i.weight, worst=i.worst, best=i.best)
        for i in standard.indicators.all()
    )
    return copy


@transaction.atomic
def star_standard_copy(*, standard: StarStandard, user=None, district_id: int | None = -1) -> StarStandard:
    """A new draft with the same thresholds and indicators, to be edited and published as the next version.

    The draft belongs where the standard does, or to `district_id` (None: the city's default) when given:
    a district office adapting the city's default copies it into its own district. `origin` names the source.
    """
    target = standard.district_id if district_id == -1 else district_id
    _require_writer(target, user)
    return _copy(
        standard,
        name=_("%(name)s (draft)") % {"name": standard.name},
        effective_from=stars.next_month(timezone.localdate()),
        district_id=target,
    )


@transaction.atomic
def star_standard_adopt(*, standard: StarStandard, district_id: int, user) -> StarStandard:
    """Adopt the city's published default as the district's own published version, from the same month.

    The city's default is left as it is; adapting means copying the district's version into a draft
    (`star_standard_copy`), editing it and publishing it.
    """
    require_district_office(user, district_id)
    if standard.district_id is not None or not standard.is_published:
        raise ValidationError(_("Only a published city default can be adopted."))
    copy = _copy(standard, name=standard.name, effective_from=standard.effective_from, district_id=district_id)
    copy.published_at = timezone.now()
    copy.published_by = user
    copy.save(update_fields=["published_at", "published_by"])
    return copy


@transaction.atomic
def star_standard_update(
    *, standard: StarStandard, user, indicators: dict[str, dict] | None = None, **changes
) -> StarStandard:
    """Edit a draft (its name, thresholds, note, month, indicators' weights and anchors), by its writer."""
    standard = StarStandard.objects.select_for_update().get(pk=standard.pk)
    _require_writer(standard.district_id, user)
    if standard.is_published:
        raise ValidationError(_("A published standard is not edited: copy it as a new draft."))
    allowed = {"name", "effective_from", "two_stars", "three_stars", "four_stars", "five_stars", "note"}
    if set(changes) - allowed:
        raise ValidationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(set(changes) - allowed))})
    for field, value in changes.items():
        setattr(standard, field, value)
    standard.full_clean()
    if changes:
        standard.save(update_fields=list(changes))
    for code, values in (indicators or {}).items():
        indicator = standard.indicators.get(code=code)
        for field, value in values.items():
            setattr(indicator, field, value)
        indicator.full_clean()
        indicator.save(update_fields=list(values))
    return standard


# --- The monthly star rating ----------------------------------------------------------------------------------

RECORD_SCHEMA = 1


def _target_of(record, standard: stars.Standard) -> int:
    """The target level a previous record had: stored by this module, or, for records written before it
    (demo data, imports), derived from the record's score under the current thresholds."""
    target = (record["indicators"] or {}).get("target_stars") if isinstance(record["indicators"], dict) else None
    if isinstance(target, int):
        return target
    return stars.stars_for_score(record["score"], standard.thresholds)


def _record_json(*, standard: stars.Standard, values, breakdown: stars.Breakdown, target: int, current: int,
                 move: stars.Move, window: selectors.StarWindow) -> dict:
    indicators = {}
    for c in breakdown.contributions:
        anchor = standard.anchors.get(c.code)
        indicators[c.code] = {
            "pillar": stars.INDICATOR_BY_CODE[c.code].pillar.value,
            "value": None if c.value is None else round(c.value, 4),
            "inputs": values[c.code].inputs,
            "weight": c.weight,
            "worst": anchor.worst if anchor else None,
            "best": anchor.best if anchor else None,
            "normalised": round(c.normalised, 4),
            "points": round(c.points, 3),
        }
    return {
        "schema": RECORD_SCHEMA,
        "standard": {"id": standard.id, "name": standard.name, "thresholds": list(standard.thresholds)},
        "target_stars": target,
        "previous_stars": current,
        "move": move.value,
        "window": {
            "from": window.start.isoformat(),
            "to": (window.end - timedelta(days=1)).isoformat(),
            "orders_from": window.orders_start.isoformat(),
        },
        "pillars": {k: round(v, 3) for k, v in breakdown.by_pillar().items()},
        "indicators": indicators,
    }


@transaction.atomic
def college_stars_recompute(*, period: date, now: datetime | None = None) -> list[CollegeStarRecord]:
    """Rate every college for the month `period`: a CollegeStarRecord each, and `College.stars` moved.

    The level moves by `ratings.stars.next_level` from the college's latest earlier record (or, with none,
    from the level this month's first computation started from, or else its current `stars`); a drop needs this period's target AND the previous month's below the
    level. Recomputing a period replaces its records; `College.stars` follows only the college's latest
    period, so back-filling old months leaves today's level alone. Recompute months in order: each
    month's move reads the month before.

    A fixed number of queries, whatever the number of colleges: figures (see
    `selectors.college_figures`), the standard, previous and existing records, one upsert, one bulk update.
    """
    now = now or timezone.now()
    period = stars.month_start(period)
    window = selectors.star_window(period)
    in_force = standards_in_force(period=period)
    default = in_force[None].as_standard() if None in in_force else stars.Standard.default()
    # A district with its own published version is rated by it; the others by the city's default.
    by_district = {d: s.as_standard() for d, s in in_force.items() if d is not None}
    colleges, figures = selectors.college_figures(period=period, now=now)

    previous, started_from = _earlier_levels(period)
    records = [
        _star_record(college, figures[college.pk], period=period,
                     standard=by_district.get(college.community.street.district_id, default), window=window,
                     now=now, prev=previous.get(college.pk), started_from=started_from.get(college.pk))
        for college in colleges
    ]
    CollegeStarRecord.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["college", "period"],
        update_fields=["score", "stars", "indicators", "computed_at"],
    )
    _move_current_levels(colleges, records, period)
    transaction.on_commit(bump_generation)
    return records


def _earlier_levels(period: date) -> tuple[dict[int, dict], dict[int, object]]:
    """Each college's latest record before `period`, and the level this period's first computation started
    from (recomputing a month must start where the first computation started, not from the level it set)."""
    latest_before = CollegeStarRecord.objects.filter(college=OuterRef("college"), period__lt=period).order_by("-period")
    previous = {
        row["college_id"]: row
        for row in CollegeStarRecord.objects.filter(period__lt=period, period=Subquery(latest_before.values("period")[:1]))
        .values("college_id", "period", "stars", "score", "indicators")
    }
    started_from = {
        college_id: info.get("previous_stars")
        for college_id, info in CollegeStarRecord.objects.filter(period=period).values_list("college_id", "indicators")
        if isinstance(info, dict)
    }
    return previous, started_from


def _star_record(
    college: College, figures, *, period: date, standard, window, now: datetime, prev: dict | None, started_from
) -> CollegeStarRecord:
    """The college's record for `period` (unsaved): its score by the standard and its level after the move."""
    values = stars.indicator_values(figures)
    breakdown = stars.score_indicators({code: v.value for code, v in values.items()}, standard)
    target = stars.stars_for_score(breakdown.score, standard.thresholds)
    if prev:
        current = prev["stars"]
    elif isinstance(started_from, int):
        current = started_from
    else:
        current = college.stars
    # Only the month right before counts as "the previous period": a gap breaks the run.
    prev_target = _target_of(prev, standard) if prev and prev["period"] == stars.previous_month(period) else None
    level, move = stars.next_level(current=current, target=target, previous_target=prev_target)
    return CollegeStarRecord(
        college=college,
        period=period,
        score=round(breakdown.score, 2),
        stars=level,
        indicators=_record_json(
            standard=standard, values=values, breakdown=breakdown, target=target, current=current, move=move,
            window=window,
        ),
        computed_at=now,
    )


def _move_current_levels(colleges: list[College], records: list[CollegeStarRecord], period: date) -> None:
    """`College.stars` follows only each college's latest period: back-filling old months leaves it alone."""
    later = set(CollegeStarRecord.objects.filter(period__gt=period).values_list("college_id", flat=True).distinct())
    moved = []
    for college, record in zip(colleges, records, strict=True):
        if college.pk not in later and college.stars != record.stars:
            college.stars = record.stars
            moved.append(college)
    if moved:
        College.objects.bulk_update(moved, ["stars"])
