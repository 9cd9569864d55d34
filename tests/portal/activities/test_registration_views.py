"""Register and cancel from a class's page: htmx swaps the status block, without JS it is POST-redirect-GET."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from activities import registration_sql
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Registration
from tests.factories import RegistrationFactory, ResidentFactory

from .conftest import make_course

HTMX = {"HX-Request": "true"}


def _register_url(course):
    return reverse("activities:register", args=[course.pk])


def _cancel_url(registration):
    return reverse("activities:registration_cancel", args=[registration.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_register_without_js_confirms_and_redirects_with_a_message(resident_client, resident, community):
    course = make_course(community, capacity=3)
    response = resident_client.post(_register_url(course))
    assert response.status_code == 302
    assert response.url == reverse("activities:course_detail", args=[course.pk])
    assert _messages(response) == ["Registered. You find this class under My orders."]
    assert list(Registration.objects.filter(course=course).values_list("resident_id", "status")) == [
        (resident.pk, "confirmed")
    ]
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db
def test_register_with_htmx_returns_the_status_block(resident_client, community):
    course = make_course(community, capacity=3)
    response = resident_client.post(_register_url(course), headers=HTMX)
    assert response.status_code == 200
    assert response.text.startswith('<section id="registration-status"')
    # Issue 19 item 9: the outcome and the status each said "You have a place in this class.".
    assert response.text.count("You have a place in this class.") == 1
    assert "Registered. You find this class under My orders." in response.text
    assert "2 places left" in response.text
    assert "Cancel my registration" in response.text
    assert "<html" not in response.text


@pytest.mark.django_db
def test_register_when_full_joins_the_waiting_list_with_position(resident_client, resident, community):
    course = make_course(community, capacity=1)
    RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED)
    RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED)
    course.confirmed_count = 1
    course.save()
    response = resident_client.post(_register_url(course), headers=HTMX)
    assert "The class is full, so you are on the waiting list." in response.text
    assert "You are number 2 on the waiting list." in response.text
    assert "Leave the waiting list" in response.text
    assert Registration.objects.get(course=course, resident=resident).status == "waitlisted"


@pytest.mark.django_db
def test_register_when_full_without_js_says_the_position(resident_client, community):
    course = make_course(community, capacity=1)
    RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED)
    course.confirmed_count = 1
    course.save()
    response = resident_client.post(_register_url(course))
    assert _messages(response) == ["The class is full. You are number 1 on the waiting list."]


@pytest.mark.django_db
def test_register_twice_makes_one_registration(resident_client, resident, community):
    course = make_course(community, capacity=3)
    resident_client.post(_register_url(course), headers=HTMX)
    resident_client.post(_register_url(course), headers=HTMX)
    resident_client.post(_register_url(course))
    assert Registration.objects.filter(course=course, resident=resident).count() == 1
    course.refresh_from_db()
    assert course.confirmed_count == 1


@pytest.mark.django_db
def test_register_button_disables_itself_on_submit(resident_client, community):
    course = make_course(community)
    text = resident_client.get(reverse("activities:course_detail", args=[course.pk])).text
    assert 'hx-disabled-elt="find button"' in text


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_register_for_a_closed_class_is_refused_with_a_message(resident_client, community, headers):
    course = make_course(community, status=CourseStatus.CLOSED)
    response = resident_client.post(_register_url(course), headers=headers)
    if headers:
        assert response.status_code == 200
        assert "This class is not open for registration." in response.text
        assert 'role="alert"' in response.text
    else:
        assert response.status_code == 302
        assert _messages(response) == ["This class is not open for registration."]
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_register_error_is_translated(resident_client, community):
    """The service's refusal comes in the resident's language (the catalogue the lead fills decides the text)."""
    from django.utils import translation

    course = make_course(community, status=CourseStatus.CLOSED)
    with translation.override("zh-hans"):
        expected = translation.gettext("This class is not open for registration.")
    response = resident_client.post(_register_url(course), headers={**HTMX, "Accept-Language": "zh-hans"})
    assert expected in response.text


@pytest.mark.django_db
def test_register_anonymous_is_sent_to_sign_in(client, community):
    course = make_course(community)
    response = client.post(_register_url(course))
    detail = reverse("activities:course_detail", args=[course.pk])
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={detail}"
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_register_anonymous_htmx_gets_a_client_redirect(client, community):
    course = make_course(community)
    response = client.post(_register_url(course), headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("account_login") + "?next=")
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_register_needs_post(resident_client, community):
    course = make_course(community)
    assert resident_client.get(_register_url(course)).status_code == 405
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_register_for_a_missing_or_proposed_class_is_404(resident_client, community):
    proposed = make_course(community, status=CourseStatus.PROPOSED)
    assert resident_client.post(_register_url(proposed)).status_code == 404
    assert resident_client.post(reverse("activities:register", args=[987654])).status_code == 404
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_cancel_frees_the_place_for_the_first_waiting(resident_client, resident, community):
    course = make_course(community, capacity=1)
    mine = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    waiting = RegistrationFactory(course=course, status=RegistrationStatus.WAITLISTED)
    course.confirmed_count = 1
    course.save()
    response = resident_client.post(_cancel_url(mine))
    assert response.status_code == 302
    assert _messages(response) == ["Your registration is cancelled."]
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, waiting.status) == ("cancelled", "confirmed")


@pytest.mark.django_db
def test_cancel_with_htmx_shows_the_register_button_again(resident_client, resident, community):
    course = make_course(community, capacity=2)
    resident_client.post(_register_url(course))
    registration = Registration.objects.get(resident=resident)
    response = resident_client.post(_cancel_url(registration), headers=HTMX)
    assert "Your registration is cancelled." in response.text
    assert "Register for this class" in response.text
    # ... and registering again works: a new live registration.
    resident_client.post(_register_url(course), headers=HTMX)
    assert sorted(Registration.objects.filter(resident=resident).values_list("status", flat=True)) == [
        "cancelled",
        "confirmed",
    ]


@pytest.mark.django_db
def test_leave_the_waiting_list(resident_client, resident, community):
    course = make_course(community, capacity=1)
    registration = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    response = resident_client.post(_cancel_url(registration))
    assert _messages(response) == ["You have left the waiting list."]
    registration.refresh_from_db()
    assert registration.status == "cancelled"


@pytest.mark.django_db
def test_cancel_someone_elses_registration_is_404(resident_client, community):
    course = make_course(community, capacity=1)
    theirs = RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.CONFIRMED)
    response = resident_client.post(_cancel_url(theirs), headers=HTMX)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"


@pytest.mark.django_db
def test_cancel_redirects_to_a_safe_next_only(resident_client, resident, community):
    course = make_course(community, capacity=3)
    first = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    response = resident_client.post(_cancel_url(first), {"next": "/classes/?page=2"})
    assert response.url == "/classes/?page=2"
    second = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    response = resident_client.post(_cancel_url(second), {"next": "https://evil.example/"})
    assert response.url == reverse("activities:course_detail", args=[course.pk])


@pytest.mark.django_db
def test_cancel_anonymous_is_sent_to_sign_in(client, community):
    course = make_course(community)
    registration = RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED)
    response = client.post(_cancel_url(registration))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    registration.refresh_from_db()
    assert registration.status == "confirmed"


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_register_queries_do_not_grow_with_rows(resident_client, community, django_assert_num_queries, rows):
    course = make_course(community, capacity=rows, sessions=rows)
    for _ in range(rows + 1):
        RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    course.confirmed_count = rows
    course.save()
    # SQLite: session, user, class, live registration?, is the class over (term, meetings left)?, SAVEPOINT,
    # class status, take a place, insert, history, the notice's outbox message (ops/outbox.py), RELEASE, the
    # class's places with its queue counted (my position among them).
    # PostgreSQL: session, user, the registration statement (activities/registration_sql.py: all of the above
    # from "class" on, my position and my calendar token included).
    if connection.vendor == "postgresql":
        registration_sql.ids.give_back(registration_sql.reserve_id())  # this process's ids, reserved before
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 13):
        response = resident_client.post(_register_url(course), headers=HTMX)
    assert f"You are number {rows + 2} on the waiting list." in response.text
