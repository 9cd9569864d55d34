"""Order notices: accepted, rejected with the reason, dispatched with class, teacher, venue, time and talk."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from accounts.enums import Role
from activities import orders as order_services
from notices import hooks
from notices.enums import Purpose
from notices.models import Delivery, Notice
from tests.factories import (
    CourseFactory,
    OrderFactory,
    PolicyTalkFactory,
    SessionFactory,
    StaffFactory,
    TeacherFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(place):
    return StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)


def _order(make_resident, place, **kwargs):
    resident = make_resident(**kwargs)
    return OrderFactory(resident=resident, community=place.community, category=place.taiji)


def test_accepted_order_reaches_inbox_and_sms_once(clock, place, staff, make_resident, committed, sms_outbox):
    order = _order(make_resident, place, language="en")
    with committed():
        order_services.order_accept(order=order, actor=staff)
        hooks.order_changed(order.pk, "accepted")
    notice = Notice.objects.get(recipient=order.resident)
    assert (notice.purpose, notice.object_key, notice.language) == (
        Purpose.ORDER_ACCEPTED,
        f"order:{order.pk}",
        "en",
    )
    assert notice.title == "Your order for Tai chi has been accepted"
    assert place.community.name in notice.body
    assert [(m.phone, m.text) for m in sms_outbox] == [(order.resident.phone, notice.sms_text)]
    assert sms_outbox[0].key == f"order_accepted:order:{order.pk}:{order.resident.pk}:sms"
    # The same hook again (a redelivered task, a double-wired service): nothing new.
    with committed():
        hooks.order_changed(order.pk, "accepted")
    assert (Notice.objects.count(), Delivery.objects.count(), len(sms_outbox)) == (1, 1, 1)


def test_rejected_order_tells_the_reason(clock, place, staff, make_resident, committed, sms_outbox):
    order = _order(make_resident, place, language="en")
    with committed():
        order_services.order_reject(order=order, actor=staff, reason="No room free on weekday mornings")
        hooks.order_changed(order.pk, "rejected")
    notice = Notice.objects.get(recipient=order.resident)
    assert notice.purpose == Purpose.ORDER_REJECTED
    assert "Reason: No room free on weekday mornings" in notice.body
    assert "No room free on weekday mornings" in sms_outbox[0].text


def test_dispatched_order_names_class_teacher_venue_time_and_policy_talk(
    clock, place, staff, make_resident, committed, sms_outbox
):
    order = _order(make_resident, place, language="en")
    teacher = TeacherFactory(name="王老师", community=place.community)
    venue = VenueFactory(name="幸福社区活动室", address="金渝大道1号", community=place.community)
    course = CourseFactory(
        title="太极拳初级班",
        category=place.taiji,
        community=place.community,
        teacher=teacher,
        venue=venue,
        slot=place.slot,
    )
    session = SessionFactory(
        course=course, venue=venue, starts_at=clock.now + timedelta(days=6, hours=-1)
    )  # Mon 9:00
    PolicyTalkFactory(session=session, topic="防范电信网络诈骗")
    order_services.order_accept(order=order, actor=staff)
    with committed():
        order_services.order_dispatch(order=order, actor=staff, course=course)
        hooks.order_changed(order.pk, "dispatched")
    notice = Notice.objects.get(recipient=order.resident, purpose=Purpose.ORDER_DISPATCHED)
    assert notice.title == "Your class is arranged: 太极拳初级班"
    assert notice.body.splitlines()[1:] == [
        "Class: 太极拳初级班",
        "Teacher: 王老师",
        "Place: 幸福社区活动室, 金渝大道1号",
        "Time: March 16 (Monday) 9 a.m.",
        "Five minutes before class: a talk on “防范电信网络诈骗”",
    ]
    assert sms_outbox[-1].text == "Class arranged: 太极拳初级班, March 16 (Monday) 9 a.m., 幸福社区活动室."


@pytest.mark.parametrize("status", ["submitted", "cancelled", "completed"])
def test_other_order_steps_send_nothing(clock, place, make_resident, committed, status):
    order = _order(make_resident, place)
    with committed():
        hooks.order_changed(order.pk, status)
    assert Notice.objects.count() == 0


def test_a_step_the_order_never_took_sends_nothing(clock, place, make_resident, committed):
    order = _order(make_resident, place)  # still submitted
    with committed():
        hooks.order_changed(order.pk, "accepted")
    assert Notice.objects.count() == 0


def test_rolled_back_change_announces_nothing(clock, place, staff, make_resident, committed, sms_outbox):
    order = _order(make_resident, place)
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        order_services.order_accept(order=order, actor=staff)
        hooks.order_changed(order.pk, "accepted")
        raise RuntimeError("the view failed after the service")
    assert (Notice.objects.count(), sms_outbox) == (0, [])


def test_without_sms_consent_the_inbox_still_has_it(
    clock, place, staff, make_resident, committed, sms_outbox
):
    order = _order(make_resident, place, sms=False)
    with committed():
        order_services.order_accept(order=order, actor=staff)
        hooks.order_changed(order.pk, "accepted")
    assert Notice.objects.filter(recipient=order.resident).count() == 1
    assert (Delivery.objects.count(), sms_outbox) == (0, [])


def test_email_goes_only_with_consent_and_an_address(clock, place, staff, make_resident, committed):
    order = _order(make_resident, place, language="en", email="li@example.org", mail=True, sms=False)
    with committed():
        order_services.order_accept(order=order, actor=staff)
        hooks.order_changed(order.pk, "accepted")
    [message] = mail.outbox
    assert (message.to, message.subject) == (["li@example.org"], "Your order for Tai chi has been accepted")
    assert (
        message.extra_headers["X-Notice-Key"] == f"order_accepted:order:{order.pk}:{order.resident.pk}:email"
    )
    assert message.body.endswith("https://college.example.org/me/orders/")


def test_texts_follow_each_residents_language(clock, place, staff, make_resident, committed):
    from django.utils import translation

    zh = _order(make_resident, place, language="zh-hans")
    en = OrderFactory(resident=make_resident(language="en"), community=place.community, category=place.taiji)
    course = CourseFactory(
        title="太极拳初级班", category=place.taiji, community=place.community, slot=place.slot
    )
    SessionFactory(course=course, starts_at=clock.now + timedelta(days=6, hours=-1))
    with committed():
        for order in (zh, en):
            order_services.order_accept(order=order, actor=staff)
            order_services.order_dispatch(order=order, actor=staff, course=course)
            hooks.order_changed(order.pk, "accepted")
            hooks.order_changed(order.pk, "dispatched")
    zh_accepted = Notice.objects.get(recipient=zh.resident, purpose=Purpose.ORDER_ACCEPTED)
    with translation.override("zh-hans"):
        expected = translation.gettext("Your order for %(interest)s has been accepted") % {
            "interest": "太极拳"
        }
    assert (zh_accepted.language, zh_accepted.title) == ("zh-hans", expected)
    assert (
        Notice.objects.get(recipient=en.resident, purpose=Purpose.ORDER_ACCEPTED).title
        == "Your order for Tai chi has been accepted"
    )
    zh_dispatched = Notice.objects.get(recipient=zh.resident, purpose=Purpose.ORDER_DISPATCHED).body
    en_dispatched = Notice.objects.get(recipient=en.resident, purpose=Purpose.ORDER_DISPATCHED).body
    assert all(part in zh_dispatched for part in ("03月16日", "星期一", "09:00"))
    assert "March 16 (Monday) 9 a.m." in en_dispatched
