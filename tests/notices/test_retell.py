"""Issue 19 item 17: notices written in Chinese read in English after the resident switches language."""

import pytest
from django.urls import reverse

from accounts.enums import Role
from activities import orders as order_services
from notices.models import Notice
from tests.factories import CourseFactory, OrderFactory, SessionFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _client(client, resident, language):
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def test_an_order_notice_written_in_chinese_reads_in_english_later(client, clock, place, make_resident, committed):
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    resident = make_resident(language="zh-hans")
    accepted = OrderFactory(resident=resident, community=place.community, category=place.taiji)
    rejected = OrderFactory(resident=resident, community=place.community, category=place.sports)
    with committed():
        order_services.order_accept(order=accepted, actor=staff)
        order_services.order_reject(order=rejected, actor=staff, reason="本社区暂无场地")
    stored = dict(Notice.objects.filter(recipient=resident).values_list("object_key", "title"))
    assert "太极拳" in stored[f"order:{accepted.pk}"]

    page = _client(client, resident, "en").get(reverse("notices:inbox"))
    titles = {n.object_key: n.title for n in page.context["notices"]}
    assert "Tai chi" in titles[f"order:{accepted.pk}"] and "太极拳" not in titles[f"order:{accepted.pk}"]
    bodies = {n.object_key: n.body for n in page.context["notices"]}
    assert "本社区暂无场地" in bodies[f"order:{rejected.pk}"]  # what staff wrote stays as written
    assert "Sports" in titles[f"order:{rejected.pk}"] or "Sports" in bodies[f"order:{rejected.pk}"]
    # Stored words are untouched; in Chinese they read as written.
    assert dict(Notice.objects.filter(recipient=resident).values_list("object_key", "title")) == stored
    chinese = _client(client, resident, "zh-hans").get(reverse("notices:inbox"))
    assert {n.object_key: n.title for n in chinese.context["notices"]} == stored


def test_a_dispatched_notice_is_retold_with_the_session_that_was_next_then(client, clock, place, make_resident, committed):
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    resident = make_resident(language="zh-hans")
    course = CourseFactory(community=place.community, category=place.taiji, title="太极拳入门班")
    SessionFactory(course=course)
    order = OrderFactory(resident=resident, community=place.community, category=place.taiji)
    with committed():
        order_services.order_accept(order=order, actor=staff)
        order_services.order_dispatch(order=order, actor=staff, course=course)
    page = _client(client, resident, "en").get(reverse("notices:inbox"))
    retold = [n for n in page.context["notices"] if n.purpose == "order_dispatched"]
    assert retold and "太极拳入门班" in retold[0].title + retold[0].body
    stored = Notice.objects.get(pk=retold[0].pk)
    assert retold[0].body != stored.body  # rendered again, in English
