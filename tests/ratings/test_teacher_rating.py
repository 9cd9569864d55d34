"""One teacher rating everywhere: the recency-weighted score of `ratings.scores`, shown from its minimum count,
on the residents' class page, in the admin's teacher pool and in the star rating's figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ratings import scores
from ratings.models import SessionRating
from ratings.selectors import teacher_rating
from teachers.models import Teacher
from tests.factories import SessionFactory, SessionRatingFactory, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db


def rate(session, stars, days_ago):
    rating = SessionRatingFactory(session=session, stars=stars)
    SessionRating.objects.filter(pk=rating.pk).update(created=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def two_teachers():
    improved, steady = SessionFactory(), SessionFactory()
    # A year-old one-star and two recent five-stars: the plain mean is 3.67, the weighted one near 5.
    rate(improved, 1, 365)
    rate(improved, 5, 1)
    rate(improved, 5, 2)
    rate(steady, 4, 1)
    rate(steady, 4, 2)  # two ratings: below the minimum
    return improved.course.teacher, steady.course.teacher


def test_the_class_page_the_admin_and_the_scores_agree(two_teachers, client):
    improved, steady = two_teachers
    expected = scores.teacher_scores(teacher_ids=[improved.pk])[improved.pk].weighted_mean
    assert expected > 4.8  # the recency weighting, not the plain mean (3.67)
    assert teacher_rating(teacher_id=improved.pk).mean == pytest.approx(expected)
    client.force_login(UserFactory(is_staff=True, is_superuser=True), backend="accounts.backends.PhoneOrEmailBackend")
    response = client.get(reverse("admin:teachers_teacher_changelist"))
    rows = {t.pk: t for t in response.context["cl"].result_list}
    assert rows[improved.pk]._average_rating == pytest.approx(expected)
    assert rows[steady.pk]._average_rating is None
    assert teacher_rating(teacher_id=steady.pk).shown is False
    assert scores.teacher_scores(teacher_ids=[steady.pk])[steady.pk].shown is False


def test_a_teacher_without_ratings_has_no_score():
    teacher = TeacherFactory()
    assert teacher_rating(teacher_id=teacher.pk).shown is False
    assert Teacher.objects.filter(pk=teacher.pk).annotate(s=scores.teacher_score_subquery()).get().s is None
