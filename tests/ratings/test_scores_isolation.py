"""Rating scores of two teachers and two sessions: each score is computed from its own ratings only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ratings import scores
from ratings.models import SessionRating
from tests.factories import ResidentFactory, SessionFactory, SessionRatingFactory, TeacherFactory

pytestmark = pytest.mark.django_db

HL = scores.RATING_HALF_LIFE_DAYS


def _rate(session, stars, days_ago, now, *, hidden=False, teacher=None):
    return SessionRatingFactory(
        session=session,
        resident=ResidentFactory(),
        teacher=teacher or session.course.teacher,
        stars=stars,
        created=now - timedelta(days=days_ago),
        is_hidden=hidden,
    )


@pytest.fixture
def two_teachers():
    """Teacher x: 1 today, 5 a half-life ago, 5 two half-lives ago; teacher y: 3, 4, 5 today, one hidden 1,
    and one rating after `now`; teacher z: two ratings only."""
    now = timezone.now()
    x, y, z = TeacherFactory(), TeacherFactory(), TeacherFactory()
    sx, sy, sz = (SessionFactory(course__teacher=t) for t in (x, y, z))
    for stars, days in ((1, 0), (5, HL), (5, 2 * HL)):
        _rate(sx, stars, days, now)
    for stars in (3, 4, 5):
        _rate(sy, stars, 0, now)
    _rate(sy, 1, 0, now, hidden=True)
    _rate(sy, 1, -3, now)
    _rate(sz, 2, 1, now)
    _rate(sz, 4, 1, now)
    return now, x, y, z


def test_teacher_scores_each_from_their_own_ratings(two_teachers):
    now, x, y, z = two_teachers
    result = scores.teacher_scores(now=now)
    assert set(result) == {x.pk, y.pk, z.pk}
    assert result[x.pk].count == 3
    assert result[x.pk].weighted_mean == pytest.approx((1 + 5 * 0.5 + 5 * 0.25) / 1.75, abs=1e-6)
    assert result[x.pk].mean == pytest.approx(11 / 3)
    assert (result[y.pk].count, result[y.pk].weighted_mean, result[y.pk].mean) == (3, pytest.approx(4.0), 4.0)
    assert (result[z.pk].count, result[z.pk].weighted_mean, result[z.pk].mean, result[z.pk].shown) == (
        2,
        None,
        3.0,
        False,
    )


def test_teacher_scores_for_some_teachers_only(two_teachers):
    now, x, y, _z = two_teachers
    assert set(scores.teacher_scores(teacher_ids=iter([y.pk]), now=now)) == {y.pk}
    assert scores.teacher_scores(teacher_ids=[], now=now) == {}


def test_teacher_scores_default_to_now():
    """Without `now`, ratings up to this moment count (one given yesterday does)."""
    teacher = TeacherFactory()
    session = SessionFactory(course__teacher=teacher)
    for stars in (2, 3, 4):
        _rate(session, stars, 1, timezone.now())
    assert scores.teacher_scores()[teacher.pk].count == 3


def test_scored_unweighted_is_the_plain_mean(two_teachers):
    now, x, y, _z = two_teachers
    result = scores.scored(SessionRating.objects.all(), "teacher_id", now=now, weighted=False)
    assert result[x.pk] == scores.RatingScore(count=3, weighted_mean=pytest.approx(11 / 3), mean=pytest.approx(11 / 3))
    assert result[y.pk].weighted_mean == pytest.approx(4.0)


def test_scored_with_a_lower_minimum_and_another_half_life(two_teachers):
    now, x, _y, z = two_teachers
    result = scores.scored(SessionRating.objects.all(), "teacher_id", now=now, min_count=2, half_life_days=2 * HL)
    assert result[z.pk].weighted_mean == pytest.approx(3.0)
    w1, w2 = 0.5**0.5, 0.5
    assert result[x.pk].weighted_mean == pytest.approx((1 + 5 * w1 + 5 * w2) / (1 + w1 + w2), abs=1e-6)


def test_scored_skips_rows_without_a_group(two_teachers):
    """Ratings whose teacher is unknown (a class without a teacher) are grouped under None and left out."""
    now, *_ = two_teachers
    session = SessionFactory(course__teacher=None)
    for _ in range(3):
        SessionRatingFactory(session=session, resident=ResidentFactory(), teacher=None, stars=1, created=now)
    result = scores.scored(SessionRating.objects.all(), "teacher_id", now=now)
    assert None not in result
    assert len(result) == 3  # the teachers' groups after the skipped one are all there


def test_weighted_score_reference(two_teachers):
    now, x, *_ = two_teachers
    pairs = list(SessionRating.objects.filter(teacher=x).values_list("stars", "created"))
    ref = scores.weighted_score(pairs, now=now)
    assert (ref.count, ref.mean) == (3, pytest.approx(11 / 3))
    assert ref.weighted_mean == pytest.approx((1 + 5 * 0.5 + 5 * 0.25) / 1.75, abs=1e-6)
    assert scores.weighted_score(pairs[:2], now=now).weighted_mean is None
    assert scores.weighted_score(pairs[:2], now=now, min_count=2).weighted_mean is not None
    assert scores.weighted_score([], now=now) == scores.NO_SCORE
    half = scores.weighted_score(pairs, now=now, half_life_days=2 * HL).weighted_mean
    assert half == pytest.approx((1 + 5 * 0.5**0.5 + 5 * 0.5) / (1 + 0.5**0.5 + 0.5), abs=1e-6)


def test_decay_weight_with_another_half_life():
    assert scores.decay_weight(10, 10) == 0.5
    assert scores.decay_weight(30, 10) == 0.125


def test_session_scores_each_from_their_own_ratings(two_teachers):
    now, x, y, z = two_teachers
    sx, sy, sz = (SessionRating.objects.filter(teacher=t).first().session for t in (x, y, z))
    result = scores.session_scores(now=now)
    assert set(result) == {sx.pk, sy.pk}  # sz has two ratings: no score
    assert result[sy.pk] == scores.RatingScore(count=3, weighted_mean=4.0, mean=4.0)
    assert result[sx.pk].mean == pytest.approx(11 / 3)
    # A queryset narrows the ratings considered.
    only_y = scores.session_scores(SessionRating.objects.filter(teacher=y), now=now)
    assert set(only_y) == {sy.pk}


def test_session_means_default_to_every_rating_up_to_now(two_teachers):
    *_, y, _z = two_teachers
    rows = {row["session_id"]: (row["n"], row["mean"]) for row in scores.session_means()}
    sy = SessionRating.objects.filter(teacher=y).first().session
    # The rating "three days after now" was made now - (-3 days), so it is in the future of the real clock too.
    assert rows[sy.pk] == (3, 4.0)


def test_scores_as_of_a_moment_in_the_past_leave_out_later_ratings():
    now = timezone.now()
    teacher = TeacherFactory()
    session = SessionFactory(course__teacher=teacher)
    for stars in (2, 3, 4):
        _rate(session, stars, 10, now)
    _rate(session, 5, 1, now)
    then = now - timedelta(days=5)
    assert scores.teacher_scores(now=then)[teacher.pk].count == 3
    assert scores.session_scores(now=then)[session.pk] == scores.RatingScore(count=3, weighted_mean=3.0, mean=3.0)
