"""Teacher scores whose every weight underflows to zero (issue 23): the score falls back to the plain mean
instead of dividing by a zero sum of weights, and another teacher's score is its own weighted mean."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ratings import scores
from ratings.models import SessionRating
from tests.factories import ResidentFactory, SessionFactory, SessionRatingFactory, TeacherFactory

pytestmark = pytest.mark.django_db


def _rate(session, stars, created):
    return SessionRatingFactory(
        session=session,
        resident=ResidentFactory(),
        teacher=session.course.teacher,
        stars=stars,
        created=created,
    )


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL's exp() raises on underflow instead of giving 0"
)
def test_scored_with_every_weight_underflowing_is_the_plain_mean():
    now = timezone.now()
    old, recent = TeacherFactory(), TeacherFactory()
    old_session, recent_session = SessionFactory(course__teacher=old), SessionFactory(course__teacher=recent)
    for stars in (2, 3, 4):
        _rate(old_session, stars, now - timedelta(days=10))  # exp(−ln 2 · 10 / 0.001) underflows to 0.0
    for stars in (5, 5, 2):
        _rate(recent_session, stars, now)
    # A half-life of a minute and a half: a ten-day-old rating weighs 2 ** −10,000, which is 0.0.
    out = scores.scored(SessionRating.objects.all(), "teacher_id", now=now, half_life_days=0.001)
    assert out[old.pk] == scores.RatingScore(count=3, weighted_mean=3.0, mean=3.0)
    assert out[recent.pk] == scores.RatingScore(
        count=3, weighted_mean=pytest.approx(4.0), mean=pytest.approx(4.0)
    )
    assert set(out) == {old.pk, recent.pk}
