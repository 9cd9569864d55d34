"""点单 from the portal: ordering an interest, cancelling, and the refusals."""

import pytest
from django.urls import reverse

from accounts.enums import Role
from activities import orders
from activities.models import Order, OrderEvent
from interests.enums import OrderStatus
from tests.factories import CourseFactory, OrderFactory, ResidentFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_order_page_explains_and_asks_for_a_note(resident_client, taiji, community):
    response = resident_client.get(reverse("interests:order_create"), {"category": taiji.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Ask {community.name} for a class in:" in html
    assert 'name="note"' in html


def test_order_page_for_an_unknown_interest_is_404(resident_client):
    assert resident_client.get(reverse("interests:order_create"), {"category": 987654}).status_code == 404
    assert resident_client.get(reverse("interests:order_create")).status_code == 404


def test_order_is_placed_in_my_community_and_i_see_it(resident_client, resident, community, taiji):
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.pk, "note": " 周末上午 "})
    order = Order.objects.get()
    assert response["Location"] == f"{reverse('interests:my_orders')}#order-{order.pk}"
    assert (order.resident, order.community, order.category, order.note, order.status) == (
        resident,
        community,
        taiji,
        "周末上午",
        OrderStatus.SUBMITTED,
    )
    page = resident_client.get(response["Location"])
    # Issue 19 item 17: the interest is named in the reader's language (the page is in English here).
    assert "Your order for Tai chi has been sent to 金山社区." in page.content.decode()


def test_order_twice_shows_a_friendly_message_and_keeps_one_order(resident_client, resident, taiji):
    resident_client.post(reverse("interests:order_create"), {"category": taiji.pk})
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.pk})
    assert response.status_code == 400
    assert "You already have an open order for 太极拳." in response.content.decode()
    assert Order.objects.filter(resident=resident).count() == 1


def test_order_for_a_whole_field_is_refused(resident_client, taiji):
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.parent_id})
    assert response.status_code == 400
    assert "Choose a concrete interest" in response.content.decode()
    assert Order.objects.count() == 0


def test_order_for_an_unknown_interest_is_a_form_error(resident_client):
    response = resident_client.post(reverse("interests:order_create"), {"category": 987654})
    assert response.status_code == 400
    assert response.context["form"].errors["category"]
    assert Order.objects.count() == 0


def test_order_note_too_long_is_refused(resident_client, taiji):
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.pk, "note": "长" * 501})
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert 'id="id_note_error"' in response.content.decode()
    assert Order.objects.count() == 0


def test_order_without_a_home_community_goes_to_the_profile_first(client, taiji):
    client.force_login(UserFactory())
    response = client.get(reverse("interests:order_create"), {"category": taiji.pk})
    assert response["Location"].startswith(f"{reverse('interests:profile')}?next=")
    assert Order.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_order_anonymous_is_sent_to_sign_in(client, taiji, method):
    response = getattr(client, method)(reverse("interests:order_create"), {"category": taiji.pk})
    assert response["Location"].startswith(f"{reverse('account_login')}?next=")
    assert Order.objects.count() == 0


def test_cancel_my_order(resident_client, resident, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    response = resident_client.post(reverse("interests:order_cancel", args=[order.pk]), {"reason": "搬家了"})
    assert response["Location"] == f"{reverse('interests:my_orders')}#order-{order.pk}"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.last().note == "搬家了"


def test_cancel_another_residents_order_is_404_and_changes_nothing(resident_client, taiji):
    theirs = OrderFactory(category=taiji)
    response = resident_client.post(reverse("interests:order_cancel", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.SUBMITTED


def test_cancel_a_completed_order_shows_an_error_and_changes_nothing(resident_client, resident, community, taiji):
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community)
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_accept(order=order, actor=staff)
    orders.order_dispatch(order=order, actor=staff, course=CourseFactory(community=community, category=taiji))
    orders.order_complete(order=order, actor=resident)
    events = OrderEvent.objects.filter(order=order).count()

    response = resident_client.post(reverse("interests:order_cancel", args=[order.pk]), follow=True)

    assert "cannot become" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert OrderEvent.objects.filter(order=order).count() == events


def test_cancel_needs_post(resident_client, resident, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    assert resident_client.get(reverse("interests:order_cancel", args=[order.pk])).status_code == 405
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED


def test_cancel_anonymous_is_sent_to_sign_in(client, taiji):
    order = OrderFactory(category=taiji, resident=ResidentFactory())
    response = client.post(reverse("interests:order_cancel", args=[order.pk]))
    assert response["Location"].startswith(reverse("account_login"))
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
