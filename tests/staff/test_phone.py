"""Orders and registrations taken by phone or at the desk, for an existing resident or a new one."""

import pytest
from django.urls import reverse

from accounts.models import User
from activities.enums import RegistrationStatus
from activities.models import Order, Registration
from interests.enums import OrderChannel, OrderStatus
from interests.models import ResidentProfile
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:activities_order_phone")
AUTOCOMPLETE = reverse("admin:activities_order_resident_autocomplete")


def test_existing_resident_order_records_who_placed_it(world, login):
    staff = world.community_staff
    category = CategoryFactory()
    response = login(staff).post(
        URL, {"resident": world.a.resident.pk, "category": category.pk, "channel": OrderChannel.PHONE, "note": "电话"}
    )
    order = Order.objects.get(resident=world.a.resident, category=category)
    assert response.status_code == 302 and response["Location"] == reverse("admin:activities_order_change", args=[order.pk])
    assert (order.status, order.channel, order.placed_by, order.note) == (
        OrderStatus.SUBMITTED, OrderChannel.PHONE, staff, "电话",
    )
    assert order.events.get().actor == staff


def test_new_resident_is_registered_with_name_phone_and_community_and_orders(world, login):
    staff = world.community_staff
    category = CategoryFactory()
    login(staff).post(
        URL,
        {"name": "李大爷", "phone": "13812341234", "community": world.a.community.pk, "category": category.pk,
         "channel": OrderChannel.DESK},
    )
    resident = User.objects.get(phone="13812341234")
    assert (resident.name, resident.registered_by, resident.profile.community) == ("李大爷", staff, world.a.community)
    order = Order.objects.get(resident=resident)
    assert (order.channel, order.placed_by) == (OrderChannel.DESK, staff)


def test_new_resident_registration_for_a_class(world, login):
    staff = world.community_staff
    login(staff).post(
        URL,
        {"name": "王阿姨", "phone": "13912345678", "community": world.a.community.pk, "course": world.a.course.pk,
         "channel": OrderChannel.PHONE},
    )
    registration = Registration.objects.get(resident__phone="13912345678")
    assert (registration.course, registration.placed_by, registration.status) == (
        world.a.course, staff, RegistrationStatus.CONFIRMED,
    )


def test_refused_order_leaves_no_new_resident_behind(world, login):
    parent = CategoryFactory()
    CategoryFactory(parent=parent)  # `parent` is a whole field, not a concrete interest
    before = User.objects.count()
    response = login(world.community_staff).post(
        URL, {"name": "赵奶奶", "phone": "13700001111", "community": world.a.community.pk, "category": parent.pk,
              "channel": OrderChannel.PHONE},
    )
    assert response.status_code == 200
    assert User.objects.count() == before and not ResidentProfile.objects.filter(user__phone="13700001111").exists()


def test_duplicate_order_is_refused_and_nothing_is_saved(world, login):
    response = login(world.community_staff).post(
        URL, {"resident": world.a.resident.pk, "category": world.a.order.category_id, "channel": OrderChannel.PHONE}
    )
    assert response.status_code == 200
    assert "already have an open order" in response.content.decode()
    assert Order.objects.filter(resident=world.a.resident).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"channel": "phone"},  # nobody
        {"name": "某人", "channel": "phone"},  # new resident without phone and community
    ],
)
def test_incomplete_form_is_refused(world, login, data):
    category = CategoryFactory()
    response = login(world.community_staff).post(URL, {**data, "category": category.pk})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Order.objects.filter(category=category).exists()


def test_new_resident_in_another_community_is_refused(world, login):
    category = CategoryFactory()
    response = login(world.community_staff).post(
        URL, {"name": "外人", "phone": "13600002222", "community": world.b.community.pk, "category": category.pk,
              "channel": "phone"},
    )
    assert response.status_code == 200 and "community" in response.context["form"].errors
    assert not User.objects.filter(phone="13600002222").exists()


def test_another_communitys_resident_cannot_be_chosen(world, login):
    category = CategoryFactory()
    response = login(world.community_staff).post(
        URL, {"resident": world.b.resident.pk, "category": category.pk, "channel": "phone"}
    )
    assert "resident" in response.context["form"].errors
    assert not Order.objects.filter(category=category).exists()


@pytest.mark.parametrize("role,status", [("community_staff", 200), ("street_staff", 200), ("district_office", 403),
                                         ("resident", 302)])
def test_who_may_open_the_phone_page(world, login, role, status):
    assert login(getattr(world, role)).get(URL).status_code == status


def test_resident_autocomplete_shows_masked_phones_of_own_scope_only(world, login):
    client = login(world.community_staff)
    answer = client.get(
        AUTOCOMPLETE, {"term": "居民", "app_label": "activities", "model_name": "order", "field_name": "resident"}
    ).json()
    texts = [row["text"] for row in answer["results"]]
    phone = world.a.resident.phone
    assert texts == [f"{world.a.resident.name} · {phone[:3]}****{phone[-4:]} · {world.a.community.name}"]
    assert phone not in str(answer)
