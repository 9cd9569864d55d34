"""Rating scores of teachers and sessions: recency-weighted means, shown only from a minimum count.

(Reads about ratings for the dashboards and the star rating. `ratings/selectors.py` holds the feedback
pages' reads; this module is separate so that both could be written at the same time.)

The rules:

- Only visible ratings count: a rating hidden by moderation (`SessionRating.is_hidden`) is left out of
  every average and every count.
- Below `MIN_RATINGS` ratings no score is shown (`RatingScore.shown` is False): with one or two ratings
  the average says more about one resident's mood than about the teacher.
- Recent ratings weigh more (teachers; a session's ratings are all of an age, see `session_scores`): a
  rating `age` days old has the weight 0.5 ** (age / RATING_HALF_LIFE_DAYS),
  so a rating from a quarter of a year ago (90 days) counts half as much as one from today, one from half a
  year ago a quarter, one from a year ago about a sixteenth. A teacher who improved is seen to have improved
  within a term, and a single bad term fades out within the year. The count shown is the plain number of
  ratings (not a weighted count).

The weighted means are computed in the database: one GROUP BY query for any number of teachers or
sessions (`AgeInDays` turns a timestamp into an age on PostgreSQL and on SQLite).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import NotSupportedError
from django.db.models import Avg, Count, DateTimeField, F, FloatField, Func, QuerySet, Sum, Value
from django.db.models.functions import Exp
from django.utils import timezone

from .models import SessionRating

MIN_RATINGS = 3
RATING_HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True)
class RatingScore:
    """A recency-weighted mean (None when there are fewer than `MIN_RATINGS` ratings) and the plain one."""

    count: int
    weighted_mean: float | None
    mean: float | None

    @property
    def shown(self) -> bool:
        return self.weighted_mean is not None


NO_SCORE = RatingScore(count=0, weighted_mean=None, mean=None)


def decay_weight(age_days: float, half_life_days: float = RATING_HALF_LIFE_DAYS) -> float:
    """The weight of a rating `age_days` old; ratings from the future (clock skew) weigh as today's."""
    return 0.5 ** (max(0.0, age_days) / half_life_days)


def weighted_score(
    ratings: Iterable[tuple[int, datetime]],
    *,
    now: datetime,
    half_life_days: float = RATING_HALF_LIFE_DAYS,
    min_count: int = MIN_RATINGS,
) -> RatingScore:
    """The score of (stars, created) pairs, in Python: the reference the database version must match."""
    pairs = list(ratings)
    if not pairs:
        return NO_SCORE
    weights = [decay_weight((now - created).total_seconds() / 86400, half_life_days) for _stars, created in pairs]
    mean = sum(stars for stars, _c in pairs) / len(pairs)
    weighted = sum(w * stars for w, (stars, _c) in zip(weights, pairs, strict=True)) / sum(weights)
    return RatingScore(count=len(pairs), weighted_mean=weighted if len(pairs) >= min_count else None, mean=mean)


class AgeInDays(Func):
    """Days (fractional) from a timestamp expression to `now`: EXTRACT(EPOCH …) on PostgreSQL, julianday on SQLite."""

    output_field = FloatField()

    def __init__(self, expression, now: datetime):
        super().__init__(Value(now, output_field=DateTimeField()), expression)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"AgeInDays is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        # EXTRACT gives numeric (PostgreSQL 14+), and arithmetic over numeric is exact and many times slower.
        return Func.as_sql(
            self, compiler, connection, template="(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 86400.0)", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, connection, **extra):
        now_sql, now_params = compiler.compile(self.source_expressions[0])
        sql, params = compiler.compile(self.source_expressions[1])
        return f"(julianday({now_sql}) - julianday({sql}))", (*now_params, *params)


def _weight(now: datetime, half_life_days: float):
    # 0.5 ** (age / half-life) written as exp(−ln 2 · age / half-life): EXP costs the database less than POWER.
    return Exp(AgeInDays(F("created"), now) * Value(-math.log(2) / half_life_days), output_field=FloatField())


def scored(
    queryset: QuerySet[SessionRating],
    group_by: str,
    *,
    now: datetime | None = None,
    half_life_days: float = RATING_HALF_LIFE_DAYS,
    min_count: int = MIN_RATINGS,
    weighted: bool = True,
) -> dict[int, RatingScore]:
    """Scores of `queryset`'s visible ratings up to `now`, grouped by the id at `group_by`: one query.

    `weighted=False` skips the decay (the score is the plain mean, still from `min_count` ratings): for
    groups whose ratings are all about the same age it changes nothing and saves the per-row POWER.
    """
    now = now or timezone.now()
    sums = {"n": Count("id"), "mean": Avg("stars", output_field=FloatField())}
    if weighted:
        weight = _weight(now, half_life_days)
        sums["w"] = Sum(weight, output_field=FloatField())
        sums["ws"] = Sum(weight * F("stars"), output_field=FloatField())
    rows = queryset.filter(is_hidden=False, created__lte=now).values(group_by).order_by().annotate(**sums)
    out = {}
    for row in rows:
        key, n, mean = row[group_by], row["n"], row["mean"]
        if key is None:
            continue
        if n < min_count:
            value = None
        elif weighted:
            value = row["ws"] / row["w"] if row["w"] else mean
        else:
            value = mean
        out[key] = RatingScore(count=n, weighted_mean=value, mean=mean)
    return out


def teacher_scores(*, teacher_ids: Iterable[int] | None = None, now: datetime | None = None) -> dict[int, RatingScore]:
    """Teacher id → score, over every session they taught (ratings carry the teacher). One query."""
    queryset = SessionRating.objects.all()
    if teacher_ids is not None:
        queryset = queryset.filter(teacher_id__in=list(teacher_ids))
    return scored(queryset, "teacher_id", now=now)


def teacher_score_subquery(*, now: datetime | None = None, teacher_ref: str = "pk"):
    """The teacher's shown score (`teacher_scores`' weighted mean, None below `MIN_RATINGS`) as a correlated
    subquery, for lists that annotate and order teachers in SQL (the admin's teacher pool)."""
    from django.db.models import Case, OuterRef, Subquery, When

    now = now or timezone.now()
    weight = _weight(now, RATING_HALF_LIFE_DAYS)
    rows = (
        SessionRating.objects.filter(teacher=OuterRef(teacher_ref), is_hidden=False, created__lte=now)
        .order_by()
        .values("teacher")
        .annotate(
            n=Count("id"),
            w=Sum(weight, output_field=FloatField()),
            ws=Sum(weight * F("stars"), output_field=FloatField()),
        )
        .annotate(score=Case(When(n__gte=MIN_RATINGS, then=F("ws") / F("w")), default=None, output_field=FloatField()))
        .values("score")
    )
    return Subquery(rows, output_field=FloatField())


def session_means(queryset: QuerySet[SessionRating] | None = None, *, now: datetime | None = None) -> QuerySet:
    """Sessions with a score, as a queryset grouped by session: `session_id`, `n` (visible ratings) and
    `mean`, only sessions with at least `MIN_RATINGS`; order it and slice it in the database.

    A session's ratings all come within days of the meeting (the feedback window), so weighting them by
    age would move a session's mean by a few hundredths at most: a session's score is its plain mean,
    shown from `MIN_RATINGS` ratings like a teacher's. Recency matters across sessions, which is what a
    teacher's score weighs.
    """
    now = now or timezone.now()
    queryset = SessionRating.objects.all() if queryset is None else queryset
    return (
        queryset.filter(is_hidden=False, created__lte=now)
        .values("session_id")
        .order_by()
        .annotate(n=Count("id"), mean=Avg("stars", output_field=FloatField()))
        .filter(n__gte=MIN_RATINGS)
    )


def session_scores(queryset: QuerySet[SessionRating] | None = None, *, now: datetime | None = None) -> dict[int, RatingScore]:
    """Session id → score, for the ratings of `queryset` (default all). One query. See `session_means`:
    plain means; sessions with fewer than `MIN_RATINGS` visible ratings have no score (and are left out)."""
    return {
        row["session_id"]: RatingScore(count=row["n"], weighted_mean=row["mean"], mean=row["mean"])
        for row in session_means(queryset, now=now)
    }
