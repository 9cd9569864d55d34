"""The teacher pool's list (annotated, fixed queries) and the review queue of residents' recommendations."""

from datetime import timedelta

import pytest

from activities.models import Session
from activities.selectors import this_week
from teachers import services
from teachers.models import RecommendationStatus, Teacher, TeacherRecommendation
from tests.admin.helpers import admin_url, messages_of
from tests.factories import CategoryFactory, SessionRatingFactory, TeacherFactory, TeacherSkillFactory

pytestmark = pytest.mark.django_db


def act(client, model, action, pks, **extra):
    data = {"action": action, "_selected_action": [str(pk) for pk in pks], "index": 0, **extra}
    return client.post(admin_url(model, "changelist"), data, follow=True)


def recommend(node, **kwargs):
    return services.teacher_recommendation_submit(
        resident=node.resident, name="陈师傅", phone="13811112222", categories=[node.order.category], **kwargs
    )


def test_pool_list_shows_load_this_week_and_average_rating(world, login):
    teacher = world.a.teacher
    start, _end = this_week()
    Session.objects.filter(pk=world.a.session.pk).update(starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=1))
    response = login(world.community_staff).get(admin_url(Teacher, "changelist"))
    row = next(t for t in response.context["cl"].result_list if t.pk == teacher.pk)
    model_admin = response.context["cl"].model_admin
    assert model_admin.load_this_week(row) == f"1 / {teacher.max_weekly_sessions}"
    # One rating is below the minimum count: no score shown, as on the residents' class page.
    assert model_admin.average_rating(row) == "—"
    SessionRatingFactory.create_batch(2, session=world.a.session, teacher=teacher, stars=5)
    response = login(world.community_staff).get(admin_url(Teacher, "changelist"))
    row = next(t for t in response.context["cl"].result_list if t.pk == teacher.pk)
    assert model_admin.average_rating(row) == "5.0★"
    assert world.a.order.category.name in model_admin.skill_list(row)
    assert "Monday" in model_admin.free_times(row)


@pytest.mark.parametrize("teachers", [1, 10])
def test_pool_queries_do_not_grow_with_teachers(world, login, django_assert_num_queries, teachers):
    for _ in range(teachers):
        teacher = TeacherFactory(community=world.a.community)
        TeacherSkillFactory(teacher=teacher)
    client = login(world.community_staff)
    # 1 session, 2 user, 3 roles (scope), 4 communities of the filter, 5-6 count of the filtered and of all
    # rows, 7-8 Django permissions for the sidebar, 9 the page of teachers with load and rating subqueries,
    # 10 their skills with interests, 11 their free times.
    with django_assert_num_queries(11):
        response = client.get(admin_url(Teacher, "changelist"))
    assert response.context["cl"].result_count == teachers + 2


def test_average_rating_ignores_hidden_ratings(world, login):
    # The world's one visible rating is five stars; two more make the minimum count.
    SessionRatingFactory.create_batch(2, session=world.a.session, teacher=world.a.teacher, stars=5)
    SessionRatingFactory(session=world.a.session, teacher=world.a.teacher, stars=1, is_hidden=True)
    teacher = Teacher.objects.get(pk=world.a.teacher.pk)
    response = login(world.community_staff).get(admin_url(Teacher, "changelist"))
    row = next(t for t in response.context["cl"].result_list if t.pk == teacher.pk)
    assert row._average_rating == pytest.approx(5.0)


def test_approving_a_recommendation_creates_the_teacher_with_skills(world, login):
    recommendation = recommend(world.a)
    response = act(login(world.community_staff), TeacherRecommendation, "approve_recommendations", [recommendation.pk])
    recommendation.refresh_from_db()
    teacher = recommendation.teacher
    assert (recommendation.status, recommendation.decided_by) == (RecommendationStatus.APPROVED, world.community_staff)
    assert (teacher.name, teacher.phone, teacher.community, teacher.recommended_by) == (
        "陈师傅", "13811112222", world.a.community, world.a.resident,
    )
    assert [s.category for s in teacher.skills.all()] == [world.a.order.category]
    assert teacher.history.latest().history_user == world.community_staff
    assert messages_of(response) == ["1 teacher added to the pool."]


def test_reject_needs_a_reason_and_records_it(world, login):
    recommendation = recommend(world.a)
    client = login(world.community_staff)
    act(client, TeacherRecommendation, "reject_recommendations", [recommendation.pk], reason=" ")
    assert TeacherRecommendation.objects.get(pk=recommendation.pk).status == RecommendationStatus.PENDING
    act(client, TeacherRecommendation, "reject_recommendations", [recommendation.pk], reason="联系不上")
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.reject_reason) == (RecommendationStatus.REJECTED, "联系不上")


def test_decided_recommendation_cannot_be_approved_again(world):
    recommendation = recommend(world.a)
    services.teacher_recommendation_approve(recommendation=recommendation, actor=world.community_staff)
    with pytest.raises(services.ConflictError):
        services.teacher_recommendation_approve(recommendation=recommendation, actor=world.community_staff)
    assert Teacher.objects.filter(name="陈师傅").count() == 1


@pytest.mark.parametrize(
    "role,sees_a,sees_b,may_approve",
    [
        ("community_staff", True, False, True),
        ("street_staff", True, False, True),
        ("district_office", True, True, False),
    ],
)
def test_recommendation_queue_scope(world, login, role, sees_a, sees_b, may_approve):
    a, b = recommend(world.a), recommend(world.b)
    client = login(getattr(world, role))
    shown = {r.pk for r in client.get(admin_url(TeacherRecommendation, "changelist")).context["cl"].result_list}
    assert (a.pk in shown, b.pk in shown) == (sees_a, sees_b)
    assert client.get(admin_url(TeacherRecommendation, "change", b.pk)).status_code == (200 if sees_b else 404)
    act(client, TeacherRecommendation, "approve_recommendations", [a.pk, b.pk])
    assert TeacherRecommendation.objects.get(pk=a.pk).status == (
        RecommendationStatus.APPROVED if may_approve else RecommendationStatus.PENDING
    )
    assert TeacherRecommendation.objects.get(pk=b.pk).status == RecommendationStatus.PENDING


def test_phone_is_masked_in_the_queue_and_full_on_own_detail_page(world, login):
    recommendation = recommend(world.a)
    client = login(world.community_staff)
    assert "13811112222" not in client.get(admin_url(TeacherRecommendation, "changelist")).content.decode()
    assert "13811112222" in client.get(admin_url(TeacherRecommendation, "change", recommendation.pk)).content.decode()
    district = login(world.district_office)
    assert "13811112222" not in district.get(admin_url(TeacherRecommendation, "change", recommendation.pk)).content.decode()


def test_recommendation_without_a_profile_is_refused(world):
    with pytest.raises(services.ConflictError):
        services.teacher_recommendation_submit(resident=world.community_staff, name="某人", categories=[CategoryFactory()])
    assert not TeacherRecommendation.objects.filter(name="某人").exists()
