"""The teacher score as a SQL subquery (the admin's teacher pool) for three teachers (issue 23): each row
reads its own teacher's visible ratings up to `now`, and agrees with `teacher_scores`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import Course
from ratings import scores
from teachers.models import Teacher
from tests.factories import (
    CourseFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db

HL = scores.RATING_HALF_LIFE_DAYS


def _rate(session, stars, days_ago, now, *, hidden=False):
    return SessionRatingFactory(
        session=session,
        resident=ResidentFactory(),
        teacher=session.course.teacher,
        stars=stars,
        created=now - timedelta(days=days_ago),
        is_hidden=hidden,
    )


@pytest.fixture
def three_teachers():
    """x: 1 today, 5 a half-life ago, 5 two half-lives ago; y: 3, 4, 5 today, a hidden 1 and a 1 after
    `now`; z: two ratings only."""
    now = timezone.now() - timedelta(days=10)
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


def test_teacher_score_subquery_per_teacher(three_teachers):
    now, x, y, z = three_teachers
    rows = dict(Teacher.objects.annotate(s=scores.teacher_score_subquery(now=now)).values_list("pk", "s"))
    expected = scores.teacher_scores(now=now)
    assert rows[x.pk] == pytest.approx((1 + 5 * 0.5 + 5 * 0.25) / 1.75, abs=1e-6)
    assert rows[x.pk] == pytest.approx(expected[x.pk].weighted_mean)
    # The hidden 1 and the 1 given after `now` are left out: 3, 4, 5 of the same age.
    assert rows[y.pk] == pytest.approx(4.0)
    assert rows[z.pk] is None  # two ratings: below the minimum
    assert expected[z.pk].weighted_mean is None


def test_teacher_score_subquery_at_the_minimum_count(three_teachers):
    now, _x, _y, z = three_teachers
    _rate(SessionFactory(course__teacher=z), 3, 1, now)
    row = Teacher.objects.filter(pk=z.pk).annotate(s=scores.teacher_score_subquery(now=now)).get()
    assert row.s == pytest.approx(3.0)


def test_teacher_score_subquery_defaults_to_now(three_teachers):
    _now, x, y, _z = three_teachers
    rows = dict(Teacher.objects.annotate(s=scores.teacher_score_subquery()).values_list("pk", "s"))
    # By the real clock y's late 1 (given 7 days ago) counts too, beside the 3, 4, 5 given 10 days ago.
    w7, w10 = 0.5 ** (7 / HL), 0.5 ** (10 / HL)
    assert rows[y.pk] == pytest.approx((12 * w10 + w7) / (3 * w10 + w7), abs=1e-4)
    assert rows[x.pk] == pytest.approx(
        scores.teacher_scores(teacher_ids=[x.pk])[x.pk].weighted_mean, abs=1e-6
    )


def test_teacher_score_subquery_from_another_model(three_teachers):
    """`teacher_ref` names the teacher column of the outer query: each class reads its own teacher's score
    (more classes than teachers, so that a class's id is not its teacher's)."""
    now, x, y, z = three_teachers
    CourseFactory(teacher=z)
    CourseFactory(teacher=x)
    CourseFactory(teacher=y)
    expected = {
        x.pk: pytest.approx((1 + 5 * 0.5 + 5 * 0.25) / 1.75, abs=1e-6),
        y.pk: pytest.approx(4.0),
        z.pk: None,
    }
    rows = list(
        Course.objects.filter(teacher__in=[x, y, z])
        .annotate(s=scores.teacher_score_subquery(now=now, teacher_ref="teacher"))
        .values_list("pk", "teacher_id", "s")
    )
    assert len(rows) == 6
    assert any(pk != teacher_id for pk, teacher_id, _s in rows)
    assert {pk: s for pk, _t, s in rows} == {pk: expected[teacher_id] for pk, teacher_id, _s in rows}
