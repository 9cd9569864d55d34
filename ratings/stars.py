"""The college star rating (星级评价): indicators of the five pillars, a score, stars that move without jitter.

Pure functions and plain data, no database: `dashboards.services.college_stars_recompute` gathers the
portal's figures, hands them to `indicator_values`, `score_indicators`, `stars_for_score` and `next_level`,
and writes the outcome to `ratings.CollegeStarRecord`.

How a college is rated for one period (a calendar month):

1. Each indicator has a raw value read from the portal (hours, counts, shares, medians); `None` means the
   portal holds no evidence for it in the period (no orders, no ratings …).
2. The published standard (`dashboards.StarStandard`) gives each indicator a weight and two anchors,
   `worst` and `best`. The value is placed on a 0–1 scale between them, linearly and clamped; for
   indicators where less is better (median waiting hours) `worst` is simply larger than `best`.
   No evidence scores 0: a college earns points only for what the portal can show.
3. The score is 100 × Σ(weight × normalised) / Σ(weight), so the weights need not add up to 100; an
   indicator's contribution ("points") is its share of that sum. Weight 0 shows an indicator without
   letting it count. The money pillar reads the fund's ledger (`funds`) over the last 12 months.
4. The score maps to a target level through four thresholds (the minimum scores of 2, 3, 4 and 5 stars).
5. The published level moves towards the target without jitter (`next_level`): up by at most one level a
   period; down by one level only when the target was below the current level in this period AND the
   previous one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise

from django.utils.translation import gettext_lazy as _

MIN_STARS = 1
MAX_STARS = 5


class Pillar(StrEnum):
    """学有场所、教有师资、课有选择、钱有来源、效有评价."""

    PLACE = "place"
    TEACHERS = "teachers"
    CLASSES = "classes"
    MONEY = "money"
    RESULTS = "results"


PILLAR_LABELS = {
    Pillar.PLACE: _("A place to learn"),
    Pillar.TEACHERS: _("Teachers to teach"),
    Pillar.CLASSES: _("Classes to choose from"),
    Pillar.MONEY: _("Money from somewhere"),
    Pillar.RESULTS: _("Results that are evaluated"),
}


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of the catalogue, with the anchors and weight of the default standard."""

    code: str
    pillar: Pillar
    label: str
    unit: str
    source: str  # where in the portal the value comes from, shown next to it
    weight: float
    worst: float
    best: float


# The catalogue: codes are stable (stored in standards and in every CollegeStarRecord). The defaults are the
# standard that migration 0002 of `dashboards` publishes; the district edits its own copy in the admin.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "venue_hours_per_1000", Pillar.PLACE, _("Venue opening hours a week per 1,000 residents"), _("hours"),
        _("Weekly opening hours of the community's active venues ÷ registered population × 1,000"), 8, 0, 30,
    ),
    IndicatorSpec(
        "venue_utilisation", Pillar.PLACE, _("Venue utilisation"), "%",
        _("Hours booked (pending or confirmed) in the month ÷ opening hours of the month"), 8, 0, 0.5,
    ),
    IndicatorSpec(
        "active_teachers", Pillar.TEACHERS, _("Active teachers"), _("teachers"),
        _("Distinct teachers of the community's classes with a session held in the month"), 6, 0, 5,
    ),
    IndicatorSpec(
        "teacher_rating", Pillar.TEACHERS, _("Average rating of the active teachers"), _("stars"),
        _("Mean of the active teachers' recency-weighted ratings (teachers with too few ratings left out)"), 8, 3.0, 4.8,
    ),
    IndicatorSpec(
        "teachers_per_1000", Pillar.TEACHERS, _("Teachers in the pool per 1,000 residents"), _("teachers"),
        _("Active teachers whose home community this is ÷ registered population × 1,000"), 6, 0, 1.0,
    ),
    IndicatorSpec(
        "categories_offered", Pillar.CLASSES, _("Interests offered"), _("interests"),
        _("Distinct interests of the community's classes meeting in the month"), 8, 0, 6,
    ),
    IndicatorSpec(
        "orders_dispatched_share", Pillar.CLASSES, _("Share of orders dispatched"), "%",
        _("Orders submitted in the last 90 days that reached 派单 ÷ those orders (withdrawn ones left out)"), 8, 0, 0.8,
    ),
    IndicatorSpec(
        "median_hours_to_accept", Pillar.CLASSES, _("Median time from 点单 to 接单"), _("hours"),
        _("Median of accepted − submitted, orders of the last 90 days that were accepted"), 5, 168, 4,
    ),
    IndicatorSpec(
        "median_hours_to_dispatch", Pillar.CLASSES, _("Median time from 点单 to 派单"), _("hours"),
        _("Median of dispatched − submitted, orders of the last 90 days that were dispatched"), 5, 1440, 168,
    ),
    IndicatorSpec(
        "non_fiscal_share", Pillar.MONEY, _("Share of non-fiscal income"), "%",
        _("Allocated, crowd-funded and in-kind income ÷ all income posted in the fund's ledger, last 12 months"),
        4, 0, 0.5,
    ),
    IndicatorSpec(
        "budget_execution", Pillar.MONEY, _("Budget execution"), "%",
        _("Spent ÷ budgeted, budget lines of the terms in force in the month"), 3, 0, 0.9,
    ),
    IndicatorSpec(
        "cost_per_hour_vs_median", Pillar.MONEY, _("Cost per participant-hour against the district median"), "×",
        _("(Spending ÷ hours attended by residents at held sessions, last 12 months) ÷ the district's median"),
        3, 2.0, 0.75,
    ),
    IndicatorSpec(
        "participation_per_1000", Pillar.RESULTS, _("Active residents per 1,000 residents"), _("residents"),
        _("Distinct residents present at a session held in the month ÷ registered population × 1,000"), 10, 0, 10,
    ),
    IndicatorSpec(
        "attendance_rate", Pillar.RESULTS, _("Attendance rate"), "%",
        _("Presences ÷ attendance records of the sessions held in the month"), 8, 0.5, 0.95,
    ),
    IndicatorSpec(
        "satisfaction", Pillar.RESULTS, _("Satisfaction"), _("stars"),
        _("Mean of the visible ratings of sessions held in the month"), 10, 3.0, 4.8,
    ),
    IndicatorSpec(
        "policy_talks", Pillar.RESULTS, _("Policy talks held"), _("talks"),
        _("Five-minutes-before-class talks held at the community's sessions in the month"), 5, 0, 4,
    ),
    IndicatorSpec(
        "groups_active", Pillar.RESULTS, _("Active interest groups"), _("groups"),
        _("Interest groups of the community marked active at the end of the month"), 5, 0, 15,
    ),
    # 协商议事 (governance): weight 0 in the default standard, like money, so that adding it does not move any
    # college's stars by itself; the district gives it a weight by publishing a new standard version.
    IndicatorSpec(
        "matters_answered_on_time", Pillar.RESULTS, _("Community matters answered on time"), "%",
        _("Matters of the last 90 days whose answer was due by the end of the month: answered within the "
          "working-day deadline ÷ all of them (unanswered ones count as late)"), 0, 0.5, 0.95,
    ),
    # 兴趣展示: the seed gives no weight; 5, as the results pillar's other counts (policy talks, active groups).
    IndicatorSpec(
        "showcases_held", Pillar.RESULTS, _("Showcases held"), _("showcases"),
        _("Approved showcases of the community's groups and classes that took place in the month"), 5, 0, 2,
    ),
)
INDICATOR_BY_CODE: dict[str, IndicatorSpec] = {spec.code: spec for spec in INDICATORS}
INDICATOR_CHOICES = [(spec.code, spec.label) for spec in INDICATORS]
# Indicators shown as a percentage (their values are shares between 0 and 1).
SHARE_INDICATORS = frozenset(code for code, spec in INDICATOR_BY_CODE.items() if spec.unit == "%")

# Scores needed for 2, 3, 4 and 5 stars in the default standard.
DEFAULT_THRESHOLDS: tuple[float, float, float, float] = (40.0, 55.0, 70.0, 85.0)
# Orders are sparse (a few a month in a community): their indicators look back further than one month.
ORDER_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Anchor:
    weight: float
    worst: float
    best: float


@dataclass(frozen=True)
class Standard:
    """A star standard as the computation sees it: anchors per indicator and the four thresholds."""

    anchors: Mapping[str, Anchor]
    thresholds: tuple[float, float, float, float] = DEFAULT_THRESHOLDS
    id: int | None = None
    name: str = ""

    @classmethod
    def default(cls) -> Standard:
        return cls(anchors={s.code: Anchor(s.weight, s.worst, s.best) for s in INDICATORS}, name="default")


# --- The figures a college's indicators are computed from -----------------------------------------------


@dataclass
class CollegeFigures:
    """What the portal says about one college's community in one period. Every field is a plain count,
    sum or list, so that tests can state hand-computed answers and records can show where a value came from."""

    population: int = 0
    weekly_open_hours: float = 0.0  # opening hours a week of the community's active venues
    month_open_hours: float = 0.0  # the same hours laid over the days of the month
    booked_hours: float = 0.0  # holding bookings of those venues in the month
    active_teacher_ids: frozenset[int] = frozenset()
    teacher_scores: Mapping[int, float] = field(default_factory=dict)  # shown (enough ratings) weighted means
    pool_teachers: int = 0
    categories_offered: int = 0
    orders_considered: int = 0  # submitted in the order window, withdrawn ones left out
    orders_dispatched: int = 0
    hours_to_accept: Sequence[float] = ()
    hours_to_dispatch: Sequence[float] = ()
    active_residents: int = 0
    attendance_records: int = 0
    attendance_present: int = 0
    ratings_count: int = 0
    ratings_sum: int = 0
    policy_talks: int = 0
    groups_active: int = 0
    # The money pillar, from the fund's ledger over the 12 months ending with the period (yuan as floats:
    # these are ratios' inputs, never amounts that are stored or paid).
    income_total: float = 0.0
    income_non_fiscal: float = 0.0
    budget: float = 0.0
    budget_spent: float = 0.0
    spending: float = 0.0
    participant_hours: float = 0.0
    district_median_cost: float | None = None  # the median cost per participant-hour of colleges that have one
    matters_due: int = 0  # consultation matters whose answer was due in the window
    matters_on_time: int = 0  # of those, answered by their deadline
    showcases_held: int = 0  # approved showcases that started in the month and were over by its end


@dataclass(frozen=True)
class IndicatorValue:
    value: float | None
    inputs: dict


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the middle two for an even count); None for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return numerator / denominator * scale if denominator else None


def cost_per_participant_hour(fig: CollegeFigures) -> float | None:
    """Spending ÷ participant-hours; None without attended hours or without spending (nothing to compare)."""
    if not fig.participant_hours or not fig.spending:
        return None
    return fig.spending / fig.participant_hours


def indicator_values(fig: CollegeFigures) -> dict[str, IndicatorValue]:
    """Every indicator of the catalogue for one college, with the inputs it was computed from."""
    rated = [fig.teacher_scores[t] for t in sorted(fig.active_teacher_ids) if t in fig.teacher_scores]
    utilisation = _ratio(fig.booked_hours, fig.month_open_hours)
    cost = cost_per_participant_hour(fig)
    values = {
        "venue_hours_per_1000": IndicatorValue(
            _ratio(fig.weekly_open_hours, fig.population, 1000),
            {"weekly_open_hours": round(fig.weekly_open_hours, 2), "population": fig.population},
        ),
        "venue_utilisation": IndicatorValue(
            None if utilisation is None else min(1.0, utilisation),
            {"booked_hours": round(fig.booked_hours, 2), "open_hours": round(fig.month_open_hours, 2)},
        ),
        "active_teachers": IndicatorValue(float(len(fig.active_teacher_ids)), {"teachers": len(fig.active_teacher_ids)}),
        "teacher_rating": IndicatorValue(
            sum(rated) / len(rated) if rated else None,
            {"teachers_rated": len(rated), "active_teachers": len(fig.active_teacher_ids)},
        ),
        "teachers_per_1000": IndicatorValue(
            _ratio(fig.pool_teachers, fig.population, 1000), {"pool_teachers": fig.pool_teachers, "population": fig.population}
        ),
        "categories_offered": IndicatorValue(float(fig.categories_offered), {"interests": fig.categories_offered}),
        "orders_dispatched_share": IndicatorValue(
            _ratio(fig.orders_dispatched, fig.orders_considered),
            {"dispatched": fig.orders_dispatched, "orders": fig.orders_considered},
        ),
        "median_hours_to_accept": IndicatorValue(median(fig.hours_to_accept), {"orders": len(fig.hours_to_accept)}),
        "median_hours_to_dispatch": IndicatorValue(median(fig.hours_to_dispatch), {"orders": len(fig.hours_to_dispatch)}),
        "non_fiscal_share": IndicatorValue(
            _ratio(fig.income_non_fiscal, fig.income_total),
            {"non_fiscal_yuan": round(fig.income_non_fiscal, 2), "income_yuan": round(fig.income_total, 2)},
        ),
        "budget_execution": IndicatorValue(
            _ratio(fig.budget_spent, fig.budget),
            {"spent_yuan": round(fig.budget_spent, 2), "budget_yuan": round(fig.budget, 2)},
        ),
        "cost_per_hour_vs_median": IndicatorValue(
            None if cost is None or not fig.district_median_cost else cost / fig.district_median_cost,
            {
                "spending_yuan": round(fig.spending, 2),
                "participant_hours": round(fig.participant_hours, 1),
                "district_median_yuan_per_hour": round(fig.district_median_cost or 0, 2),
            },
        ),
        "participation_per_1000": IndicatorValue(
            _ratio(fig.active_residents, fig.population, 1000),
            {"active_residents": fig.active_residents, "population": fig.population},
        ),
        "attendance_rate": IndicatorValue(
            _ratio(fig.attendance_present, fig.attendance_records),
            {"present": fig.attendance_present, "records": fig.attendance_records},
        ),
        "satisfaction": IndicatorValue(
            _ratio(fig.ratings_sum, fig.ratings_count), {"ratings": fig.ratings_count, "stars": fig.ratings_sum}
        ),
        "policy_talks": IndicatorValue(float(fig.policy_talks), {"talks": fig.policy_talks}),
        "groups_active": IndicatorValue(float(fig.groups_active), {"groups": fig.groups_active}),
        "matters_answered_on_time": IndicatorValue(
            _ratio(fig.matters_on_time, fig.matters_due), {"on_time": fig.matters_on_time, "due": fig.matters_due}
        ),
        "showcases_held": IndicatorValue(float(fig.showcases_held), {"showcases": fig.showcases_held}),
    }
    return values


# --- From values to a score ---------------------------------------------------------------------------------


def normalise(value: float | None, *, worst: float, best: float) -> float:
    """Place `value` on 0–1 between `worst` (0) and `best` (1), clamped; None (no evidence) is 0."""
    if value is None or worst == best:
        return 0.0
    position = (value - worst) / (best - worst)
    return max(0.0, min(1.0, position))


@dataclass(frozen=True)
class Contribution:
    code: str
    value: float | None
    weight: float
    normalised: float
    points: float  # this indicator's share of the 0–100 score


@dataclass(frozen=True)
class Breakdown:
    score: float
    contributions: tuple[Contribution, ...]

    def by_pillar(self) -> dict[str, float]:
        totals = {pillar.value: 0.0 for pillar in Pillar}
        for c in self.contributions:
            totals[INDICATOR_BY_CODE[c.code].pillar.value] += c.points
        return totals


def score_indicators(values: Mapping[str, float | None], standard: Standard) -> Breakdown:
    """The 0–100 score of `values` under `standard`, and each indicator's part of it.

    Indicators the standard does not weigh (or weighs 0) contribute nothing but are still listed.
    """
    total_weight = sum(max(0.0, a.weight) for a in standard.anchors.values())
    contributions = []
    for spec in INDICATORS:
        anchor = standard.anchors.get(spec.code, Anchor(0.0, spec.worst, spec.best))
        value = values.get(spec.code)
        normalised = normalise(value, worst=anchor.worst, best=anchor.best)
        weight = max(0.0, anchor.weight)
        points = 100.0 * weight * normalised / total_weight if total_weight else 0.0
        contributions.append(Contribution(spec.code, value, weight, normalised, points))
    score = sum(c.points for c in contributions)
    # Rounding keeps a sum like 99.99999999 from missing a threshold of 100 by a hair.
    return Breakdown(round(min(100.0, max(0.0, score)), 6), tuple(contributions))


def stars_for_score(score: float, thresholds: Sequence[float]) -> int:
    """The target level: 1 plus the number of thresholds (for 2, 3, 4, 5 stars) the score reaches."""
    return MIN_STARS + sum(1 for t in thresholds if score >= t)


def thresholds_valid(thresholds: Sequence[float]) -> bool:
    """Four scores (for 2, 3, 4 and 5 stars), strictly rising, within 0–100."""
    return (
        len(thresholds) == MAX_STARS - MIN_STARS
        and all(0 <= t <= 100 for t in thresholds)
        and all(a < b for a, b in pairwise(thresholds))
    )


class Move(StrEnum):
    UP = "up"
    DOWN = "down"
    SAME = "same"
    HELD = "held"  # the target is lower, for the first period in a row: the level waits one period


MOVE_LABELS = {
    Move.UP: _("up one level"),
    Move.DOWN: _("down one level (second period in a row below)"),
    Move.SAME: _("unchanged"),
    Move.HELD: _("held: first period below the level's threshold"),
}


def next_level(*, current: int, target: int, previous_target: int | None) -> tuple[int, Move]:
    """The level after this period: towards `target` by one level at most, and down only if the target
    was below `current` in the previous period as well (`previous_target`; None when unknown, which
    counts as not below, so a first computation never drops a level)."""
    current = max(MIN_STARS, min(MAX_STARS, current))
    if target > current:
        return current + 1, Move.UP
    if target < current:
        if previous_target is not None and previous_target < current:
            return current - 1, Move.DOWN
        return current, Move.HELD
    return current, Move.SAME


# --- Periods ------------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return (period.replace(day=1) + timedelta(days=32)).replace(day=1)


def previous_month(period: date) -> date:
    return (period.replace(day=1) - timedelta(days=1)).replace(day=1)
