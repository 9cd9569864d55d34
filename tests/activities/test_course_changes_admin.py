"""The admin changes classes and meetings only through the services: fields read-only, pages and actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.enums import CourseStatus, RegistrationStatus, SessionStatus
from activities.models import Course, Registration, Session
from venues.enums import BookingStatus
from venues.models import Booking

from .classes import make_side, next_weekday, residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    return make_side(), make_side()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_course_change_form_shows_rule_fields_read_only(two, login):
    a, _b = two
    form = login(a.staff).get(reverse("admin:activities_course_change", args=[a.course.pk])).context["adminform"].form
    assert {"status", "capacity", "venue", "slot", "teacher", "community", "term", "category"} & set(form.fields) == set()
    assert "title" in form.fields


def test_posting_a_status_in_the_change_form_changes_nothing(two, login):
    a, _b = two
    services.registration_create(course=a.course, resident=residents(a.community, 1)[0])
    client = login(a.staff)
    url = reverse("admin:activities_course_change", args=[a.course.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {"title": "新标题", "status": CourseStatus.CANCELLED, "capacity": 1, "category": a.course.category_id,
         "community": a.community.pk, "sessions-TOTAL_FORMS": 0, "sessions-INITIAL_FORMS": 0}
    )
    response = client.post(url, data)
    assert response.status_code == 302
    course = Course.objects.get(pk=a.course.pk)
    assert (course.title, course.status, course.capacity, course.confirmed_count) == ("新标题", CourseStatus.OPEN, 2, 1)


def test_change_class_page_moves_the_waiting_list_up(two, login):
    a, b = two
    people = residents(a.community, 4)
    regs = [services.registration_create(course=a.course, resident=p) for p in people]
    url = reverse("admin:activities_course_change_class", args=[a.course.pk])
    response = login(a.staff).post(
        url, {"capacity": 3, "venue": a.venue.pk, "slot": a.course.slot_id, "teacher": a.course.teacher_id}
    )
    assert response.status_code == 302
    assert [Registration.objects.get(pk=r.pk).status for r in regs] == ["confirmed"] * 3 + ["waitlisted"]
    assert Course.objects.get(pk=b.course.pk).capacity == 2


def test_change_class_page_shows_the_refusal_and_saves_nothing(two, login):
    a, _b = two
    for p in residents(a.community, 2):
        services.registration_create(course=a.course, resident=p)
    url = reverse("admin:activities_course_change_class", args=[a.course.pk])
    response = login(a.staff).post(
        url, {"capacity": 1, "venue": a.spare_venue.pk, "slot": a.course.slot_id, "teacher": a.course.teacher_id}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "2 places are already taken; the class cannot have fewer places."
    ]
    course = Course.objects.get(pk=a.course.pk)
    assert (course.capacity, course.venue_id) == (2, a.venue.pk)
    assert set(Session.objects.filter(course=course).values_list("venue_id", flat=True)) == {a.venue.pk}


def test_change_class_page_of_another_community_is_not_found(two, login):
    a, b = two
    response = login(b.staff).get(reverse("admin:activities_course_change_class", args=[a.course.pk]))
    assert response.status_code == 404


def test_cancel_action_runs_course_cancel(two, login):
    a, b = two
    for p in residents(a.community, 1):
        services.registration_create(course=a.course, resident=p)
    response = login(a.staff).post(
        reverse("admin:activities_course_changelist"),
        {"action": "cancel_courses", "_selected_action": [a.course.pk]},
        follow=True,
    )
    assert messages_of(response) == ["1 class cancelled."]
    assert Course.objects.get(pk=a.course.pk).status == CourseStatus.CANCELLED
    assert set(Registration.objects.filter(course=a.course).values_list("status", flat=True)) == {
        RegistrationStatus.CANCELLED
    }
    assert Course.objects.get(pk=b.course.pk).status == CourseStatus.OPEN


def test_session_fields_are_read_only_and_cancel_action_frees_the_room(two, login):
    a, b = two
    first = Session.objects.filter(course=a.course).order_by("starts_at").first()
    client = login(a.staff)
    form = client.get(reverse("admin:activities_session_change", args=[first.pk])).context["adminform"].form
    assert set(form.fields) == set()
    response = client.post(
        reverse("admin:activities_session_changelist"),
        {"action": "cancel_sessions", "_selected_action": [first.pk]},
        follow=True,
    )
    assert messages_of(response) == ["1 meeting cancelled."]
    assert Session.objects.get(pk=first.pk).status == SessionStatus.CANCELLED
    assert Booking.objects.get(session=first).status == BookingStatus.CANCELLED
    assert set(Session.objects.filter(course=b.course).values_list("status", flat=True)) == {SessionStatus.SCHEDULED}


def test_reschedule_page_moves_the_meeting_and_its_booking(two, login):
    a, _b = two
    first = Session.objects.filter(course=a.course).order_by("starts_at").first()
    later = timezone.localtime(next_weekday(3, 18, weeks_ahead=1))
    response = login(a.staff).post(
        reverse("admin:activities_session_reschedule", args=[first.pk]),
        {
            "starts_at_0": later.strftime("%Y-%m-%d"),
            "starts_at_1": later.strftime("%H:%M:%S"),
            "ends_at_0": later.strftime("%Y-%m-%d"),
            "ends_at_1": (later + timedelta(hours=1)).strftime("%H:%M:%S"),
            "venue": a.spare_venue.pk,
        },
    )
    assert response.status_code == 302
    booking = Booking.objects.get(session=first)
    assert (booking.starts_at, booking.venue_id) == (later, a.spare_venue.pk)
    assert Session.objects.get(pk=first.pk).starts_at == later


def test_the_change_form_cannot_move_a_class_to_another_community(two, login):
    from tests.factories.accounts import UserFactory

    a, b = two
    services.registration_create(course=a.course, resident=residents(a.community, 1)[0])
    client = login(UserFactory(is_staff=True, is_superuser=True))  # in scope of both communities
    url = reverse("admin:activities_course_change", args=[a.course.pk])
    form = client.get(url).context["adminform"].form
    assert "community" not in form.fields
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"title": "搬走的班", "category": a.course.category_id, "community": b.community.pk,
                 "sessions-TOTAL_FORMS": 0, "sessions-INITIAL_FORMS": 0})
    assert client.post(url, data).status_code == 302
    moved, other = Course.objects.get(pk=a.course.pk), Course.objects.get(pk=b.course.pk)
    assert (moved.title, moved.community_id) == ("搬走的班", a.community.pk)
    assert other.community_id == b.community.pk
