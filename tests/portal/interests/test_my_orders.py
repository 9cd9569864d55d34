"""My orders: each order's timeline with who acted, my registrations with waiting positions, my sessions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.enums import Role
from activities import orders
from activities.enums import PolicyTalkStatus, RegistrationStatus, SessionStatus
from activities.resident_selectors import (
    MY_NEXT_SESSIONS,
    order_timeline,
    resident_orders,
    resident_registrations,
)
from activities.services import waitlist_position
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    PolicyTalkFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(community):
    return StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="张主任", phone="13700001111")


def _steps(order, resident, language="en"):
    order = resident_orders(user=resident).get(pk=order.pk)
    with translation.override(language):
        return [(s.status, s.done, s.actor, s.note) for s in order_timeline(order, resident=resident)]


def test_timeline_of_a_new_order_shows_the_steps_ahead(resident, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    assert _steps(order, resident) == [
        ("submitted", True, "you", ""),
        ("accepted", False, "", ""),
        ("dispatched", False, "", ""),
        ("completed", False, "", ""),
    ]


def test_timeline_names_staff_and_the_full_loop(resident, community, staff, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_accept(order=order, actor=staff)
    orders.order_dispatch(order=order, actor=None, course=CourseFactory(community=community, category=taiji))
    orders.order_complete(order=order, actor=resident)
    assert _steps(order, resident) == [
        ("submitted", True, "you", ""),
        ("accepted", True, "community staff 张主任", ""),
        ("dispatched", True, "the community college", ""),
        ("completed", True, "you", ""),
    ]


def test_timeline_of_a_rejected_order_ends_with_the_reason(resident, staff, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_reject(order=order, actor=staff, reason="本社区暂无场地")
    assert _steps(order, resident) == [
        ("submitted", True, "you", ""),
        ("rejected", True, "community staff 张主任", "本社区暂无场地"),
    ]


def test_my_orders_page_shows_timeline_times_and_staff_without_phone(resident_client, resident, staff, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_accept(order=order, actor=staff)
    html = resident_client.get(reverse("interests:my_orders")).content.decode()
    assert f'id="order-{order.pk}"' in html
    assert "community staff 张主任" in html
    assert timezone.localtime(order.accepted_at).strftime("%Y-%m-%d %H:%M") in html
    assert "13700001111" not in html and "137****1111" not in html
    assert reverse("interests:order_cancel", args=[order.pk]) in html


def test_my_orders_page_shows_cancellation_reason_and_no_cancel_button(resident_client, resident, taiji):
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_cancel(order=order, actor=resident, reason="时间不合适")
    html = resident_client.get(reverse("interests:my_orders")).content.decode()
    assert "Reason: 时间不合适" in html
    assert reverse("interests:order_cancel", args=[order.pk]) not in html


def test_my_orders_page_never_shows_another_residents_orders(resident_client, taiji):
    other = ResidentFactory()
    orders.order_place(resident=other, category=taiji)
    response = resident_client.get(reverse("interests:my_orders"))
    assert response.context["timelines"] == []


def test_my_orders_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("interests:my_orders"))
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('interests:my_orders')}"


def test_waiting_positions_for_all_my_registrations_in_one_query(resident, community):
    now = timezone.now()
    courses = [CourseFactory(community=community, capacity=1) for _ in range(3)]
    for index, course in enumerate(courses):
        RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED, created=now - timedelta(hours=10))
        for ahead in range(index):
            RegistrationFactory(course=course, created=now - timedelta(hours=5 - ahead))
        RegistrationFactory(course=course, resident=resident, created=now - timedelta(hours=1))
        RegistrationFactory(course=course, created=now)  # behind me
    # Someone who left the list does not count.
    RegistrationFactory(course=courses[2], status=RegistrationStatus.CANCELLED, created=now - timedelta(hours=9))
    confirmed = RegistrationFactory(course=CourseFactory(community=community), resident=resident, status=RegistrationStatus.CONFIRMED)

    with CaptureQueriesContext(connection) as queries:
        mine = {r.course_id: r for r in resident_registrations(user=resident)}
    assert len(queries) == 1
    assert [mine[c.pk].waiting_position for c in courses] == [1, 2, 3]
    assert [mine[c.pk].waiting_position for c in courses] == [waitlist_position(registration=mine[c.pk]) for c in courses]
    assert mine[confirmed.course_id].waiting_position is None


def test_waiting_positions_break_ties_like_the_promotion_does(resident, community):
    course = CourseFactory(community=community, capacity=1)
    same_moment = timezone.now()
    first = RegistrationFactory(course=course, created=same_moment)
    mine = RegistrationFactory(course=course, resident=resident, created=same_moment)
    assert first.pk < mine.pk
    assert resident_registrations(user=resident).get().waiting_position == 2


def test_my_orders_page_lists_registrations_and_next_sessions(resident_client, resident, community):
    venue = VenueFactory(community=community, name="金山文明实践站", address="金山大道8号", latitude=29.6543, longitude=106.5521)
    course = CourseFactory(community=community, title="太极拳入门班", venue=venue)
    session = SessionFactory(course=course, venue=venue)
    PolicyTalkFactory(session=session, topic="防范电信网络诈骗", status=PolicyTalkStatus.CONFIRMED)
    SessionFactory(course=course, venue=venue, status=SessionStatus.CANCELLED)
    SessionFactory(course=course, venue=venue, starts_at=timezone.now() - timedelta(days=3))
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    waiting = RegistrationFactory(course=CourseFactory(community=community, capacity=1), resident=resident)

    response = resident_client.get(reverse("interests:my_orders"))
    html = response.content.decode()

    assert response.context["sessions"] == [session]
    assert "金山文明实践站" in html and "金山大道8号" in html
    # Issue 19 item 8: a place name and a map link, never raw coordinates on the page.
    assert 'href="geo:29.654300,106.552100?q=' in html
    assert "https://uri.amap.com/marker?position=106.552100,29.654300&amp;name=" in html
    assert "(29.65430, 106.55210)" not in html and "29.65430," not in html
    assert session.course.teacher.name in html
    assert "防范电信网络诈骗" in html
    assert "Waiting list: number 1" in html
    assert reverse("activities:registration_cancel", args=[waiting.pk]) in html


def test_my_orders_page_links_my_personal_calendar(resident_client, resident):
    response = resident_client.get(reverse("interests:my_orders"))
    token = resident.profile.calendar_token
    assert response.context["ical_url"] == f"http://testserver{reverse('activities:ical', args=[token])}"
    assert f"webcal://testserver{reverse('activities:ical', args=[token])}" in response.content.decode()


@pytest.mark.parametrize("size", [1, 50])
def test_my_orders_queries_do_not_grow_with_orders_and_registrations(
    resident_client, resident, community, staff, django_assert_num_queries, size
):
    field = CategoryFactory(name="文化艺术")
    for n in range(size):
        order = orders.order_place(resident=resident, category=CategoryFactory(parent=field, name=f"兴趣{n}"))
        orders.order_accept(order=order, actor=staff)
        course = CourseFactory(community=community, capacity=1)
        RegistrationFactory(course=course, status=RegistrationStatus.CONFIRMED)
        RegistrationFactory(course=course, resident=resident)
        mine = CourseFactory(community=community)
        RegistrationFactory(course=mine, resident=resident, status=RegistrationStatus.CONFIRMED)
        PolicyTalkFactory(session=SessionFactory(course=mine))
    # session, user, profile, orders, their events with actors, registrations with positions, sessions
    with django_assert_num_queries(7):
        response = resident_client.get(reverse("interests:my_orders"))
    assert len(response.context["timelines"]) == size
    assert len(response.context["registrations"]) == 2 * size
    assert len(response.context["sessions"]) == min(size, MY_NEXT_SESSIONS)


def test_my_orders_shows_the_next_session_once_then_the_orders(resident_client, resident, community, taiji):
    # Issue 19 item 8: six repeated session cards pushed the orders four screens down.
    venue = VenueFactory(community=community, name="金山文明实践站", latitude=29.6543, longitude=106.5521)
    course = CourseFactory(community=community, title="太极拳入门班", venue=venue)
    other = CourseFactory(community=community, title="书法班", venue=venue)
    for week in range(6):
        SessionFactory(course=course, venue=venue, starts_at=timezone.now() + timedelta(days=1 + 7 * week))
    SessionFactory(course=other, venue=venue, starts_at=timezone.now() + timedelta(days=2))
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    order = orders.order_place(resident=resident, category=taiji)

    html = resident_client.get(reverse("interests:my_orders")).content.decode()

    next_session = html[html.index('id="next-session-heading"') : html.index('id="orders-heading"')]
    assert next_session.count("<time ") == 1
    assert "太极拳入门班" in next_session and "金山文明实践站" in next_session
    assert "书法班" not in html  # not registered there
    # Then the orders, then my classes, then the rest of the calendar, folded.
    assert html.index('id="next-session-heading"') < html.index(f'id="order-{order.pk}"') < html.index('id="registrations-heading"') < html.index('id="sessions-heading"')
    later = html[html.index('id="sessions-heading"') :]
    assert "5 more sessions ahead" in later and "<details" in later


def test_timeline_steps_ahead_read_as_still_to_come(resident_client, resident, taiji):
    # Issue 19 item 9: "已接单 尚未进行" read as done and not yet at once.
    order = orders.order_place(resident=resident, category=taiji)
    order = resident_orders(user=resident).get(pk=order.pk)
    with translation.override("en"):
        labels = [(s.label, s.done) for s in order_timeline(order, resident=resident)]
    assert labels == [
        ("Ordered", True),
        ("Waiting to be accepted", False),
        ("A class to be arranged", False),
        ("Your feedback after the class", False),
    ]
    html = resident_client.get(reverse("interests:my_orders")).content.decode()
    assert "not yet" not in html


def test_timeline_words_are_rendered_when_read_in_the_readers_language(resident, community, staff, taiji):
    # Issue 19 item 17: notes written as Chinese text at write time stayed Chinese for an English reader.
    # The steps carry no words of their own; the labels and who acted are rendered when the page is read.
    order = orders.order_place(resident=resident, category=taiji)
    orders.order_accept(order=order, actor=staff)
    english = _steps(order, resident, "en")
    chinese = _steps(order, resident, "zh-hans")
    assert [s[2] for s in english[:2]] == ["you", "community staff 张主任"]
    assert [s[2] for s in chinese[:2]] == ["您", "社区工作人员 张主任"]
    assert all(note == "" for *_rest, note in english)
