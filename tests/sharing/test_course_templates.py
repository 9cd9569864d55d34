from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from activities import course_templates
from activities.enums import CourseStatus, SessionStatus
from activities.models import Course, CourseTemplate, CourseTemplateCopy
from community_college.errors import ScopeError
from tests.factories.activities import CourseFactory, SessionFactory
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

COURSE_FIELDS = ("title", "description", "capacity", "status", "community_id", "teacher_id", "category_id")


@pytest.fixture
def well_run(two_districts):
    course = CourseFactory(community=two_districts.c1, description="八式太极，从站桩开始", capacity=20)
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    for week in range(3):
        SessionFactory(
            course=course,
            starts_at=start + timedelta(weeks=week),
            ends_at=start + timedelta(weeks=week, minutes=90),
        )
    SessionFactory(
        course=course,
        starts_at=start + timedelta(weeks=5),
        ends_at=start + timedelta(weeks=5, hours=1),
        status=SessionStatus.CANCELLED,
    )
    other = CourseFactory(community=two_districts.c1b)
    return course, other


def test_publish_takes_description_and_session_plan_and_keeps_the_origin(two_districts, well_run):
    course, _other = well_run
    template = course_templates.course_template_publish(
        course=course, actor=two_districts.office1, materials="扇子"
    )

    assert (template.source_course, template.district, template.description, template.materials) == (
        course,
        two_districts.d1,
        "八式太极，从站桩开始",
        "扇子",
    )
    assert [(p["n"], p["minutes"]) for p in template.session_plan] == [(1, 90), (2, 90), (3, 90)]
    assert template.capacity == 20


def test_only_the_course_districts_office_publishes(two_districts, well_run):
    course, _other = well_run
    with pytest.raises(ScopeError):
        course_templates.course_template_publish(course=course, actor=two_districts.office2)
    with pytest.raises(ScopeError):
        course_templates.course_template_publish(course=course, actor=two_districts.city_office)
    assert not CourseTemplate.objects.exists()


def test_copy_keeps_the_origin_and_leaves_the_source_untouched(two_districts, well_run):
    course, other = well_run
    template = course_templates.course_template_publish(course=course, actor=two_districts.office1)
    before = snapshot(Course.objects.all(), *COURSE_FIELDS)
    sessions_before = course.sessions.count()

    copy = course_templates.course_template_copy(
        template=template, community=two_districts.c2, actor=two_districts.office2
    )

    draft = copy.course
    assert (copy.template, copy.district, copy.copied_by) == (
        template,
        two_districts.d2,
        two_districts.office2,
    )
    assert (
        draft.community,
        draft.status,
        draft.teacher,
        draft.description,
        draft.capacity,
        draft.category_id,
    ) == (two_districts.c2, CourseStatus.PROPOSED, None, "八式太极，从站桩开始", 20, course.category_id)
    # The origin: draft → template → source class and its district.
    assert draft.template_copy.template.source_course == course
    assert draft.template_copy.template.district == two_districts.d1
    after = snapshot(Course.objects.exclude(pk=draft.pk), *COURSE_FIELDS)
    assert after == before
    assert course.sessions.count() == sessions_before
    assert other.sessions.count() == 0


def test_a_district_copies_only_into_its_own_communities(two_districts, well_run):
    course, _other = well_run
    template = course_templates.course_template_publish(course=course, actor=two_districts.office1)
    with pytest.raises(ScopeError):
        course_templates.course_template_copy(
            template=template, community=two_districts.c1, actor=two_districts.office2
        )
    assert not CourseTemplateCopy.objects.exists()
    assert Course.objects.count() == 2


def test_a_district_cannot_edit_another_districts_template(two_districts, well_run):
    course, other = well_run
    template = course_templates.course_template_publish(course=course, actor=two_districts.office1)
    second = course_templates.course_template_publish(course=other, actor=two_districts.office1)
    before = snapshot(CourseTemplate.objects.all(), "title", "description", "materials", "updated_at")

    with pytest.raises(ScopeError):
        course_templates.course_template_update(
            template=template, actor=two_districts.office2, description="改了"
        )
    assert snapshot(CourseTemplate.objects.all(), "title", "description", "materials", "updated_at") == before

    course_templates.course_template_update(
        template=template, actor=two_districts.office1, materials="扇子、练功服"
    )
    template.refresh_from_db()
    second.refresh_from_db()
    assert (template.materials, second.materials, second.updated_at) == ("扇子、练功服", "", None)
    # Editing the template does not reach back into the class it came from.
    course.refresh_from_db()
    assert course.description == "八式太极，从站桩开始"


def test_update_refuses_the_origin_fields(two_districts, well_run):
    course, _other = well_run
    template = course_templates.course_template_publish(course=course, actor=two_districts.office1)
    with translation.override("en"), pytest.raises(ValidationError, match="cannot be changed"):
        course_templates.course_template_update(
            template=template, actor=two_districts.office1, district=two_districts.d2
        )
    template.refresh_from_db()
    assert template.district == two_districts.d1


def test_admin_publish_and_copy_actions(client, two_districts, well_run):
    course, _other = well_run
    client.force_login(two_districts.office1)
    response = client.post(
        reverse("admin:activities_course_changelist"),
        {"action": "publish_as_template", "_selected_action": [course.pk]},
    )
    assert response.status_code == 302
    template = CourseTemplate.objects.get()
    assert template.source_course == course

    client.force_login(two_districts.office2)
    url = reverse("admin:activities_coursetemplate_changelist")
    # No community chosen: refused with a message, nothing copied.
    client.post(url, {"action": "copy_into_my_district", "_selected_action": [template.pk], "community": ""})
    assert not CourseTemplateCopy.objects.exists()
    # Another district's community is not a choice.
    client.post(
        url,
        {
            "action": "copy_into_my_district",
            "_selected_action": [template.pk],
            "community": two_districts.c1.pk,
        },
    )
    assert not CourseTemplateCopy.objects.exists()
    response = client.post(
        url,
        {
            "action": "copy_into_my_district",
            "_selected_action": [template.pk],
            "community": two_districts.c2.pk,
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert [str(m) for m in response.context["messages"]][-1] == "1 class draft made."
    assert CourseTemplateCopy.objects.get().course.community == two_districts.c2

    # The other district's office cannot open the change form for editing.
    change = reverse("admin:activities_coursetemplate_change", args=[template.pk])
    response = client.post(
        change, {"title": "x", "description": "x", "materials": "x", "session_plan": "[]", "capacity": 3}
    )
    template.refresh_from_db()
    assert template.title == course.title


@pytest.mark.parametrize("count", [1, 3])
def test_the_template_list_query_count_does_not_grow(client, two_districts, django_assert_num_queries, count):
    for _ in range(count):
        course = CourseFactory(community=two_districts.c1)
        course_templates.course_template_publish(course=course, actor=two_districts.office1)
    client.force_login(two_districts.office2)
    # Constant for 1 and 3 templates: 1 session, 2 user, 3 roles (scope), 4 office districts, 5 the district
    # filter's choices, 6 count of the rows, 7-8 Django permissions for the sidebar, 9 the city office role,
    # 10 the page's rows with origin and copies joined, 11 the communities to copy into (the action's field).
    with django_assert_num_queries(11):
        response = client.get(reverse("admin:activities_coursetemplate_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count("/change/") >= count
