"""Admin forms: choices narrowed to the user's scope, rows created through the services, phones masked."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from activities.enums import RegistrationStatus
from activities.models import Course, Order, Registration, Session
from interests.enums import OrderChannel, OrderStatus
from interests.models import ResidentProfile
from teachers.models import Teacher
from tests.factories import CategoryFactory, CommunityFactory, ResidentFactory
from venues.enums import BookingStatus
from venues.models import Booking, Venue

from .helpers import admin_url, changelist_pks, messages_of

pytestmark = pytest.mark.django_db


def split(name: str, value) -> dict:
    """The two inputs of the admin's date-and-time widget."""
    local = timezone.localtime(value)
    return {f"{name}_0": local.strftime("%Y-%m-%d"), f"{name}_1": local.strftime("%H:%M:%S")}


def empty_inline(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}


# --- choices ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Venue, Course], ids=["venue", "course"])
def test_community_staff_add_form_offers_only_their_community(world, login, model):
    form = login(world.community_staff).get(admin_url(model, "add")).context["adminform"].form
    assert list(form.fields["community"].queryset) == [world.a.community]


def test_street_staff_add_form_offers_the_communities_of_their_street(world, login):
    neighbour = CommunityFactory(street=world.a.community.street)
    form = login(world.street_staff).get(admin_url(Course, "add")).context["adminform"].form
    assert set(form.fields["community"].queryset) == {world.a.community, neighbour}


def test_course_form_offers_own_venues_and_groups_and_the_whole_teacher_pool(world, login):
    form = login(world.community_staff).get(admin_url(Course, "add")).context["adminform"].form
    assert list(form.fields["venue"].queryset) == [world.a.venue]
    assert list(form.fields["group"].queryset) == [world.a.group]
    assert {world.a.teacher, world.b.teacher} <= set(form.fields["teacher"].queryset)


def test_order_add_form_offers_only_residents_of_the_scope_and_derives_the_community(world, login):
    form = login(world.community_staff).get(admin_url(Order, "add")).context["adminform"].form
    assert "community" not in form.fields
    assert list(form.fields["resident"].queryset) == [world.a.resident]


def test_order_add_form_offers_only_concrete_interests(world, login):
    field = CategoryFactory(name="体育")
    leaf = CategoryFactory(name="太极拳", parent=field)
    form = login(world.community_staff).get(admin_url(Order, "add")).context["adminform"].form
    choices = set(form.fields["category"].queryset)
    assert (leaf in choices, field in choices) == (True, False)


def test_autocomplete_of_residents_answers_only_the_scope(world, login):
    response = login(world.community_staff).get(
        "/admin/autocomplete/",
        {"app_label": "activities", "model_name": "order", "field_name": "resident", "term": "居民"},
    )
    assert [row["id"] for row in response.json()["results"]] == [str(world.a.resident.pk)]


def test_posting_another_communitys_id_is_an_invalid_choice(world, login):
    data = {
        "name": "越界活动室",
        "community": world.b.community.pk,
        "owner_type": "school",
        "address": "某路1号",
        "capacity": 20,
        **empty_inline("opening_hours"),
    }
    response = login(world.community_staff).post(admin_url(Venue, "add"), data)
    assert response.status_code == 200
    assert "community" in response.context["adminform"].form.errors
    assert not Venue.objects.filter(name="越界活动室").exists()


def test_teacher_added_by_community_staff_needs_a_home_community(world, login):
    form = login(world.community_staff).get(admin_url(Teacher, "add")).context["adminform"].form
    assert form.fields["community"].required is True
    superuser_form = login(world.superuser).get(admin_url(Teacher, "add")).context["adminform"].form
    assert superuser_form.fields["community"].required is False


# --- rows created through the services ---------------------------------------------------------------------------


def test_order_taken_by_phone_goes_through_order_place(world, login):
    staff = world.community_staff
    category = CategoryFactory()
    data = {
        "resident": world.a.resident.pk,
        "category": category.pk,
        "channel": OrderChannel.PHONE,
        "note": "电话点单",
        **empty_inline("events"),
    }
    response = login(staff).post(admin_url(Order, "add"), data)
    assert response.status_code == 302
    order = Order.objects.get(resident=world.a.resident, category=category)
    assert (order.status, order.community, order.placed_by, order.channel) == (
        OrderStatus.SUBMITTED,
        world.a.community,
        staff,
        OrderChannel.PHONE,
    )
    assert list(order.events.values_list("to_status", "actor")) == [(OrderStatus.SUBMITTED, staff.pk)]


def test_order_refused_by_the_service_shows_the_reason_on_the_form(world, login):
    data = {
        "resident": world.a.resident.pk,
        "category": world.a.order.category_id,  # the resident already has an open order for it
        "channel": OrderChannel.PHONE,
        "note": "重复",
        **empty_inline("events"),
    }
    response = login(world.community_staff).post(admin_url(Order, "add"), data)
    assert response.status_code == 200
    assert "already have an open order" in str(response.context["adminform"].form.non_field_errors())
    assert response.context["adminform"].form["note"].value() == "重复"
    assert Order.objects.filter(resident=world.a.resident).count() == 1


def test_registration_added_by_staff_takes_a_place_through_the_service(world, login):
    course, newcomer = world.a.course, ResidentFactory(profile__community=world.a.community)
    response = login(world.community_staff).post(
        admin_url(Registration, "add"), {"course": course.pk, "resident": newcomer.pk}
    )
    assert response.status_code == 302
    registration = Registration.objects.get(course=course, resident=newcomer)
    course.refresh_from_db()
    assert (registration.status, registration.placed_by, course.confirmed_count) == (
        RegistrationStatus.CONFIRMED,
        world.community_staff,
        1,
    )


def test_overlapping_booking_is_refused_with_the_form_kept(world, login):
    existing = world.a.booking
    # The venue holds other bookings of the world too (the node's approved showcase): none may be added.
    before = Booking.objects.filter(venue=existing.venue).count()
    data = {
        "venue": existing.venue_id,
        **split("starts_at", existing.starts_at + timedelta(minutes=30)),
        **split("ends_at", existing.ends_at + timedelta(hours=1)),
        "purpose": "合唱排练",
    }
    response = login(world.community_staff).post(admin_url(Booking, "add"), data)
    assert response.status_code == 200
    assert "already booked" in str(response.context["adminform"].form.non_field_errors())
    assert Booking.objects.filter(venue=existing.venue).count() == before


def test_session_scheduled_in_the_admin_holds_its_venue(world, login):
    starts = timezone.now().replace(microsecond=0, second=0) + timedelta(days=10)
    data = {
        "course": world.a.course.pk,
        "venue": world.a.venue.pk,
        **split("starts_at", starts),
        **split("ends_at", starts + timedelta(hours=1)),
        **empty_inline("talks"),
    }
    response = login(world.community_staff).post(admin_url(Session, "add"), data)
    assert response.status_code == 302
    session = Session.objects.get(course=world.a.course, starts_at=starts)
    assert (session.booking.venue, session.booking.status, session.booking.booked_by) == (
        world.a.venue,
        BookingStatus.CONFIRMED,
        world.community_staff,
    )


def _course_data(course, **changes) -> dict:
    return {
        "title": course.title,
        "category": course.category_id,
        "community": course.community_id,
        "teacher": course.teacher_id or "",
        "status": course.status,
        "capacity": course.capacity,
        "description": "",
        **empty_inline("sessions"),
        **changes,
    }


def test_editing_a_course_never_writes_the_places_taken(world, login):
    course = world.a.course
    client = login(world.community_staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(admin_url(Course, "change", course.pk), _course_data(course, title="太极拳提高班"))
    assert response.status_code == 302
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "activities_course"')]
    assert len(updates) == 1 and "confirmed_count" not in updates[0]
    assert Course.objects.get(pk=course.pk).title == "太极拳提高班"


def test_course_capacity_cannot_drop_below_the_places_taken(world, login):
    # Places are read-only in the change form (a posted value is ignored); they change on the class's
    # "change places, venue, time or teacher" page, through `course_update`, which refuses this.
    course = world.a.course
    Course.objects.filter(pk=course.pk).update(confirmed_count=6)
    client = login(world.community_staff)
    client.post(admin_url(Course, "change", course.pk), _course_data(course, capacity=5))
    assert Course.objects.get(pk=course.pk).capacity == 10
    response = client.post(
        admin_url(Course, "change_class", course.pk),
        {"capacity": 5, "venue": course.venue_id or "", "slot": course.slot_id or "", "teacher": course.teacher_id or ""},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "6 places are already taken; the class cannot have fewer places."
    ]
    assert Course.objects.get(pk=course.pk).capacity == 10


# --- personal data -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Order, Registration, ResidentProfile, User], ids=["order", "registration", "profile", "user"])
def test_lists_mask_residents_mobile_numbers(world, login, model):
    phone = world.a.resident.phone
    page = login(world.community_staff).get(admin_url(model, "changelist")).content.decode()
    assert f"{phone[:3]}****{phone[-4:]}" in page
    assert phone not in page


def test_full_number_only_on_the_residents_own_page(world, login):
    phone = world.a.resident.phone
    page = login(world.community_staff).get(admin_url(User, "change", world.a.resident.pk)).content.decode()
    assert phone in page


def test_user_added_by_superuser_signs_in_by_phone(world, login):
    data = {
        "phone": "13600001111",
        "email": "",
        "name": "新居民",
        "usable_password": "true",
        "password1": "a-long-pass-phrase-9",
        "password2": "a-long-pass-phrase-9",
    }
    response = login(world.superuser).post(admin_url(User, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(phone="13600001111")
    assert (user.name, user.check_password("a-long-pass-phrase-9")) == ("新居民", True)


def test_user_list_of_community_staff_has_only_their_residents(world, login):
    shown = changelist_pks(login(world.community_staff).get(admin_url(User, "changelist")))
    assert shown == set(User.objects.filter(profile__community=world.a.community).values_list("pk", flat=True))
    assert messages_of(login(world.community_staff).get(admin_url(User, "changelist"))) == []
