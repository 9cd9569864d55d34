"""The roll call: registered residents only, walk-ins within the seats, staff in scope or the class's teacher;
the service, the admin page and the API record the same thing and refuse the same things."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from activities import services
from activities.models import Attendance, Session
from community_college.errors import ConflictError, ScopeError
from tests.factories import ResidentFactory, UserFactory

from .classes import make_side, residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    return make_side(capacity=3, past=1), make_side(capacity=3, past=1)


def held(side) -> Session:
    return Session.objects.filter(course=side.course).order_by("starts_at").first()


def register(side, n):
    people = residents(side.community, n)
    for person in people:
        services.registration_create(course=side.course, resident=person)
    return people


def rows(session):
    return sorted(
        Attendance.objects.filter(session=session).values_list("resident_id", "attended", "excused", "walk_in")
    )


def test_records_present_absent_excused_for_registered_residents(two):
    a, b = two
    ann, bo, cy = register(a, 3)
    register(b, 1)
    session = held(a)
    for person, status in ((ann, "present"), (bo, "absent"), (cy, "excused")):
        services.attendance_record(session=session, resident=person, status=status, actor=a.staff)
    assert rows(session) == sorted([(ann.pk, True, False, False), (bo.pk, False, False, False), (cy.pk, False, True, False)])
    assert Attendance.objects.filter(session__course=b.course).count() == 0


def test_recording_twice_is_idempotent_and_a_correction_replaces(two):
    a, _b = two
    (ann,) = register(a, 1)
    session = held(a)
    first = services.attendance_record(session=session, resident=ann, status="present", actor=a.staff)
    again = services.attendance_record(session=session, resident=ann, status="present", actor=a.staff)
    assert (again.pk, again.recorded_at) == (first.pk, first.recorded_at)
    services.attendance_record(session=session, resident=ann, status="absent", actor=a.staff)
    assert rows(session) == [(ann.pk, False, False, False)]


def test_a_resident_without_a_place_is_refused_unless_a_walk_in(two):
    a, _b = two
    register(a, 1)
    stranger = ResidentFactory(profile__community=a.community)
    session = held(a)
    with pytest.raises(ConflictError) as refused:
        services.attendance_record(session=session, resident=stranger, status="present", actor=a.staff)
    assert refused.value.code == "not_registered"
    with pytest.raises(ConflictError) as refused:
        services.attendance_record(session=session, resident=stranger, status="absent", actor=a.staff, walk_in=True)
    assert refused.value.code == "walk_in_present"
    assert rows(session) == []
    services.attendance_record(session=session, resident=stranger, status="present", actor=a.staff, walk_in=True)
    assert rows(session) == [(stranger.pk, True, False, True)]


def test_walk_ins_never_go_beyond_the_seats(two):
    a, _b = two
    register(a, 2)  # 2 of 3 places taken
    first, second = residents(a.community, 2)
    session = held(a)
    services.attendance_record(session=session, resident=first, status="present", actor=a.staff, walk_in=True)
    with pytest.raises(ConflictError) as refused:
        services.attendance_record(session=session, resident=second, status="present", actor=a.staff, walk_in=True)
    assert refused.value.code == "no_room"
    assert Attendance.objects.filter(session=session, walk_in=True).count() == 1


def test_only_staff_in_scope_or_the_teacher_take_the_roll_call(two):
    a, b = two
    (ann,) = register(a, 1)
    session = held(a)
    with pytest.raises(ScopeError):
        services.attendance_record(session=session, resident=ann, status="present", actor=b.staff)
    with pytest.raises(ScopeError):
        services.attendance_record(session=session, resident=ann, status="present", actor=ann)
    teacher = a.course.teacher
    teacher.user = UserFactory(is_staff=True)
    teacher.save()
    services.attendance_record(session=session, resident=ann, status="present", actor=teacher.user)
    assert rows(session) == [(ann.pk, True, False, False)]
    # The teacher of a's class is nobody in b's class.
    (bo,) = register(b, 1)
    with pytest.raises(ScopeError):
        services.attendance_record(session=held(b), resident=bo, status="present", actor=teacher.user)


def test_no_roll_call_before_the_meeting_or_for_a_cancelled_one(two):
    a, _b = two
    (ann,) = register(a, 1)
    coming = Session.objects.filter(course=a.course).order_by("starts_at")[1]
    with pytest.raises(ConflictError) as refused:
        services.attendance_record(session=coming, resident=ann, status="present", actor=a.staff)
    assert refused.value.code == "not_started"
    services.session_cancel(session=coming, actor=a.staff)
    with pytest.raises(ConflictError) as refused:
        services.attendance_record(session=coming, resident=ann, status="present", actor=a.staff)
    assert refused.value.code == "session_cancelled"
    assert Attendance.objects.count() == 0


# --- the admin page ------------------------------------------------------------------------------------------


def admin_client(client, user):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_roll_call_page_shows_the_whole_roster_with_masked_phones(two, client):
    a, _b = two
    people = register(a, 3)
    url = reverse("admin:activities_session_roll_call", args=[held(a).pk])
    response = admin_client(client, a.staff).get(url)
    page = response.content.decode()
    assert sorted(line.resident.pk for line in response.context["roster"]) == sorted(p.pk for p in people)
    for person in people:
        assert person.phone not in page
        assert person.phone[:3] + "****" + person.phone[-4:] in page


def test_roll_call_page_records_with_one_click_and_shows_refusals(two, client):
    a, b = two
    ann, _bo = register(a, 2)
    session = held(a)
    client = admin_client(client, a.staff)
    url = reverse("admin:activities_session_roll_call", args=[session.pk])
    assert client.post(url, {"mark": f"{ann.pk}:excused"}).status_code == 302
    assert rows(session) == [(ann.pk, False, True, False)]
    stranger = ResidentFactory(profile__community=a.community)
    response = client.post(url, {"mark": f"{stranger.pk}:present"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"{stranger.name} is not registered for this class."]
    response = client.post(url, {"phone": stranger.phone}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Walk-in recorded."]
    assert rows(session) == sorted([(ann.pk, False, True, False), (stranger.pk, True, False, True)])
    # Another community's staff do not find the page.
    assert admin_client(client, b.staff).get(url).status_code == 404


# --- the API -----------------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_api_roll_call_records_and_answers_the_roster(two):
    a, b = two
    ann, bo = register(a, 2)
    session = held(a)
    url = f"/api/v1/staff/sessions/{session.pk}/roll-call/"
    response = api(a.staff).post(
        url, {"marks": [{"resident": ann.pk, "status": "present"}, {"resident": bo.pk, "status": "absent"}]}, format="json"
    )
    assert response.status_code == 200
    assert sorted((line["resident"], line["status"]) for line in response.json()["roster"]) == sorted(
        [(ann.pk, "present"), (bo.pk, "absent")]
    )
    assert all("****" in line["phone"] for line in response.json()["roster"])
    assert rows(session) == sorted([(ann.pk, True, False, False), (bo.pk, False, False, False)])


def test_api_roll_call_refuses_the_same_things_and_saves_nothing(two):
    a, b = two
    (ann,) = register(a, 1)
    stranger = ResidentFactory(profile__community=a.community)
    session = held(a)
    url = f"/api/v1/staff/sessions/{session.pk}/roll-call/"
    response = api(a.staff).post(
        url,
        {"marks": [{"resident": ann.pk, "status": "present"}, {"resident": stranger.pk, "status": "present"}]},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "not_registered")
    assert rows(session) == []
    assert api(b.staff).get(url).status_code == 404
    response = api(a.staff).post(url, {"marks": [{"resident": ann.pk, "status": "late"}]}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert rows(session) == []


# --- queries do not grow with the roster -------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3])
def test_roll_call_page_queries_do_not_grow_with_the_roster(size, client, django_assert_num_queries):
    a, _b = make_side(capacity=5, past=1), make_side(capacity=5, past=1)
    for person in register(a, size):
        services.attendance_record(session=held(a), resident=person, status="present", actor=a.staff)
    client = admin_client(client, a.staff)
    url = reverse("admin:activities_session_roll_call", args=[held(a).pk])
    # session, user, the session with its class, the staff member's roles (scope), the attendance recorded,
    # the confirmed residents, Django's permissions for the sidebar (2)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["roster"]) == size


@pytest.mark.parametrize("size", [1, 3])
def test_roll_call_api_queries_do_not_grow_with_the_roster(size, django_assert_num_queries):
    a, _b = make_side(capacity=5, past=1), make_side(capacity=5, past=1)
    register(a, size)
    client = api(a.staff)
    url = f"/api/v1/staff/sessions/{held(a).pk}/roll-call/"
    # the session with its class, the staff member's roles (scope), the attendance recorded, the residents
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.json()["roster"]) == size
