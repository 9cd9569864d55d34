"""Rating scores: hidden ratings left out, nothing shown below the minimum count, recent ratings weigh more."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ratings import scores
from ratings.models import SessionRating
from tests.factories import ResidentFactory, SessionFactory, SessionRatingFactory, TeacherFactory

pytestmark = pytest.mark.django_db


def rate(teacher, stars: int, days_ago: float, now, *, hidden: bool = False):
    session = SessionFactory(course__teacher=teacher)
    return SessionRatingFactory(
        session=session, resident=ResidentFactory(), teacher=teacher, stars=stars,
        created=now - timedelta(days=days_ago), is_hidden=hidden,
    )


def test_decay_halves_every_half_life():
    assert scores.decay_weight(0) == 1.0
    assert scores.decay_weight(scores.RATING_HALF_LIFE_DAYS) == pytest.approx(0.5)
    assert scores.decay_weight(2 * scores.RATING_HALF_LIFE_DAYS) == pytest.approx(0.25)
    assert scores.decay_weight(-5) == 1.0  # a clock a little ahead does not make a rating weigh more


def test_no_score_below_the_minimum_count(db):
    now = timezone.now()
    teacher = TeacherFactory()
    for _ in range(scores.MIN_RATINGS - 1):
        rate(teacher, 5, 1, now)
    score = scores.teacher_scores(now=now)[teacher.pk]
    assert (score.count, score.shown, score.weighted_mean, score.mean) == (2, False, None, 5.0)
    rate(teacher, 5, 1, now)
    assert scores.teacher_scores(now=now)[teacher.pk].shown


def test_hidden_ratings_are_left_out(db):
    now = timezone.now()
    teacher = TeacherFactory()
    for _ in range(3):
        rate(teacher, 5, 1, now)
    rate(teacher, 1, 1, now, hidden=True)
    score = scores.teacher_scores(now=now)[teacher.pk]
    assert (score.count, score.weighted_mean) == (3, pytest.approx(5.0))


def test_recent_ratings_weigh_more(db):
    """A 1 today and a 5 one half-life ago, and another 5 two half-lives ago: weights 1, ½ and ¼."""
    now = timezone.now()
    teacher = TeacherFactory()
    hl = scores.RATING_HALF_LIFE_DAYS
    rate(teacher, 1, 0, now)
    rate(teacher, 5, hl, now)
    rate(teacher, 5, 2 * hl, now)
    score = scores.teacher_scores(now=now)[teacher.pk]
    expected = (1 * 1 + 5 * 0.5 + 5 * 0.25) / (1 + 0.5 + 0.25)
    assert score.weighted_mean == pytest.approx(expected, abs=1e-6)
    assert score.mean == pytest.approx(11 / 3)
    assert score.weighted_mean < score.mean


def test_database_and_reference_computations_agree(db):
    now = timezone.now()
    teacher = TeacherFactory()
    for i, (value, days) in enumerate([(5, 3), (2, 40), (4, 170.5), (3, 400), (5, 0.25)]):
        rate(teacher, value, days + i / 24, now)
    pairs = SessionRating.objects.filter(teacher=teacher).values_list("stars", "created")
    reference = scores.weighted_score(pairs, now=now)
    assert scores.teacher_scores(now=now)[teacher.pk].weighted_mean == pytest.approx(reference.weighted_mean, abs=1e-6)


def test_ratings_after_now_are_not_counted(db):
    now = timezone.now()
    teacher = TeacherFactory()
    for _ in range(3):
        rate(teacher, 4, 10, now)
    rate(teacher, 1, -5, now)  # five days after `now`: not yet given at that time
    assert scores.teacher_scores(now=now)[teacher.pk].count == 3


def test_session_scores_are_plain_means_from_the_minimum(db):
    now = timezone.now()
    session = SessionFactory()
    for value in (5, 4, 3):
        SessionRatingFactory(session=session, stars=value, created=now - timedelta(days=2))
    other = SessionFactory()
    SessionRatingFactory(session=other, stars=1, created=now - timedelta(days=2))
    result = scores.session_scores(now=now)
    assert result[session.pk].weighted_mean == pytest.approx(4.0)
    assert other.pk not in result  # one rating: no score
