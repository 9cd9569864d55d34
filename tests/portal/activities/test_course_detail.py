"""A class's page: what, who, where, when, and my place in it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.enums import CourseStatus, PolicyTalkStatus, RegistrationStatus
from teachers.enums import TeacherKind
from tests.factories import (
    AttendanceFactory,
    CategoryFactory,
    DepartmentFactory,
    PolicyTalkFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    TeacherFactory,
    VenueFactory,
)

from .conftest import make_course


def _url(course):
    return reverse("activities:course_detail", args=[course.pk])


@pytest.mark.django_db
def test_course_detail_shows_category_teacher_venue_and_sessions(client, community):
    sport = CategoryFactory(name="体育", name_en="Sport")
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi", parent=sport)
    venue = VenueFactory(community=community, name="金山活动室", address="金渝大道1号", latitude=29.651234, longitude=106.551234)
    teacher = TeacherFactory(name="王老师", kind=TeacherKind.PROFESSIONAL)
    course = make_course(community, title="太极拳班", category=taiji, venue=venue, teacher=teacher, sessions=7)
    session = course.sessions.order_by("starts_at").first()
    PolicyTalkFactory(session=session, topic="防范电信网络诈骗", department=DepartmentFactory(name="公安分局"))
    response = client.get(_url(course))
    assert response.status_code == 200
    text = response.text
    assert "Sport · Tai chi" in text
    assert "王老师</strong> · Professional" in text
    assert "金山活动室" in text and "金渝大道1号" in text
    assert 'href="geo:29.651234,106.551234"' in text
    assert "Every week: Monday 09:00–10:30" in text
    assert "Five minutes before class: “防范电信网络诈骗” (公安分局)" in text
    assert len(response.context["sessions"]) == 5  # the next five of seven


@pytest.mark.django_db
def test_course_detail_hides_a_cancelled_policy_talk_and_past_sessions(client, community):
    course = make_course(community, sessions=1)
    PolicyTalkFactory(session=course.sessions.get(), topic="垃圾分类", status=PolicyTalkStatus.CANCELLED)
    past = timezone.now() - timedelta(days=3)
    SessionFactory(course=course, venue=course.venue, starts_at=past, ends_at=past + timedelta(hours=1))
    response = client.get(_url(course))
    assert "垃圾分类" not in response.text
    assert len(response.context["sessions"]) == 1


@pytest.mark.django_db
def test_course_detail_teacher_average_only_from_three_ratings(client, community):
    course = make_course(community)
    session = course.sessions.get()
    SessionRatingFactory(session=session, stars=5)
    SessionRatingFactory(session=session, stars=4)
    assert "Not enough ratings yet." in client.get(_url(course)).text
    SessionRatingFactory(session=session, stars=4)
    SessionRatingFactory(session=session, stars=1, is_hidden=True)  # hidden by moderation: not counted
    assert "Rated 4.3 of 5 stars by 3 residents" in client.get(_url(course)).text


@pytest.mark.django_db
def test_course_detail_places_and_waiting_list(client, community):
    course = make_course(community, capacity=2)
    for status in ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]:
        RegistrationFactory(course=course, status=status)
    course.confirmed_count = 2
    course.save()
    response = client.get(_url(course))
    assert "The class is full." in response.text
    assert "3 people on the waiting list" in response.text
    assert "Sign in to register" in response.text


@pytest.mark.django_db
def test_course_detail_my_status_and_the_right_button(resident_client, resident, community):
    course = make_course(community, capacity=5)
    assert "Register for this class" in resident_client.get(_url(course)).text
    registration = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    text = resident_client.get(_url(course)).text
    assert "You have a place in this class." in text
    assert reverse("activities:registration_cancel", args=[registration.pk]) in text
    assert "Cancel my registration" in text
    assert f"/calendar/{resident.profile.calendar_token}.ics" in text


@pytest.mark.django_db
def test_course_detail_waiting_position(resident_client, resident, community):
    course = make_course(community, capacity=1)
    RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED)
    RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    course.confirmed_count = 1
    course.save()
    text = resident_client.get(_url(course)).text
    assert "You are number 2 on the waiting list." in text
    assert "Leave the waiting list" in text


@pytest.mark.django_db
def test_course_detail_closed_class_has_no_register_button(resident_client, community):
    course = make_course(community, status=CourseStatus.CLOSED)
    text = resident_client.get(_url(course)).text
    assert "This class is not open for registration." in text
    assert "Register for this class" not in text


@pytest.mark.django_db
def test_course_detail_proposed_or_missing_class_is_404(client, community):
    course = make_course(community, status=CourseStatus.PROPOSED)
    assert client.get(_url(course)).status_code == 404
    assert client.get(reverse("activities:course_detail", args=[987654])).status_code == 404


@pytest.mark.django_db
def test_course_detail_renders_in_chinese_by_default(client, community, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    course = make_course(community, title="太极拳班")
    response = client.get(_url(course))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_course_detail_queries_do_not_grow_with_rows(resident_client, resident, community, django_assert_num_queries, rows):
    """Rows: sessions, registrations, ratings and attendance of the class all grow together."""
    course = make_course(community, capacity=60, sessions=rows)
    session = course.sessions.first()
    for _ in range(rows):
        RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED, resident=ResidentFactory())
        SessionRatingFactory(session=session)
        AttendanceFactory(session=session)
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    # session, user, class, the class's places with its queue counted and my registration in it, teacher
    # rating, next sessions, the teacher's and group's 榜样 badges
    with django_assert_num_queries(7):
        response = resident_client.get(_url(course))
    assert response.context["state"].position == rows + 1
