"""A whole term in real use, in a real headless Chromium, with no row made behind the services.

A resident orders 太极拳 (点单). Community staff accept it (接单) and dispatch it into the class (派单) in the
admin; the resident gets a place. A meeting ends and the lifecycle beat task marks it held. The class's
teacher takes the roll call in the admin (one click: present). The resident rates the meeting on the portal
(返单), the order's timeline shows 返单, and the college's attendance indicator, empty before the roll call,
now counts the presence.

Setup makes only reference data with factories (community, college, people, venue, term, interest); the
class, its meetings, the order, the registration, the attendance and the rating are all made by services,
called here or by the pages the browsers drive.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts import services as account_services  # noqa: E402
from accounts.enums import Role  # noqa: E402
from activities import orders  # noqa: E402
from activities import services as class_services  # noqa: E402
from activities.enums import RegistrationStatus, SessionStatus  # noqa: E402
from activities.models import (  # noqa: E402
    Attendance,
    Order,  # noqa: E402
    Registration,
    Session,
)
from activities.tasks import advance_lifecycle  # noqa: E402
from dashboards.selectors import college_figures  # noqa: E402
from interests import services as interest_services  # noqa: E402
from interests.enums import OrderStatus  # noqa: E402
from ratings import stars  # noqa: E402
from ratings.models import SessionRating  # noqa: E402
from tests.factories import (  # noqa: E402
    CategoryFactory,
    CollegeFactory,
    CommunityFactory,
    ResidentFactory,
    StaffFactory,
    TeacherFactory,
    TermFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # the factories' password


def attendance_rate(college):
    now = timezone.now()
    _colleges, figures = college_figures(period=stars.month_start(timezone.localdate(now)), now=now)
    return stars.indicator_values(figures[college.pk])["attendance_rate"].value


def admin_sign_in(context, user):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/admin/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.locator("form#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()
    return page


def test_a_whole_term_closes_the_loop(browser, live_server, screenshots):
    today = timezone.localdate()
    community = CommunityFactory(name="金山社区")
    college = CollegeFactory(community=community)
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000021")
    teacher_user = UserFactory(name="李老师", phone="13700000022", is_staff=False)
    account_services.role_assign(user=teacher_user, role=Role.TEACHER)  # opens the admin for the roll call
    teacher = TeacherFactory(user=teacher_user, name="李老师", community=community)
    venue = VenueFactory(community=community, name="金山文明实践站")
    term = TermFactory(starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=60))
    taiji = CategoryFactory(name="太极拳")
    resident = ResidentFactory(profile__community=community, name="张阿姨")
    # The resident is free on Monday mornings only; the class has no weekly slot yet, so placement between
    # runs leaves the order to staff, who dispatch it by hand below.
    interest_services.profile_update(user=resident, community=community, availability=[(0, time(9), time(11))])

    course = class_services.course_create(
        actor=staff, title="太极拳晨练班", category=taiji, community=community, capacity=10,
        teacher=teacher, venue=venue, term=term,
    )
    now = timezone.now().replace(microsecond=0)
    held = class_services.session_schedule(
        course=course, venue=venue, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2), actor=staff
    )
    class_services.session_schedule(
        course=course, venue=venue, starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=1),
        actor=staff,
    )
    order = orders.order_place(resident=resident, category=taiji)
    assert attendance_rate(college) is None

    staff_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    teacher_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    resident_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        # 接单 and 派单, by staff in the admin.
        admin = admin_sign_in(staff_context, staff)
        admin.goto(reverse("admin:activities_order_changelist"))
        admin.locator(f"input[name=_selected_action][value='{order.pk}']").check()
        admin.select_option("select[name=action]", "accept_orders")
        admin.locator("button[name=index]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED

        admin.locator(f"input[name=_selected_action][value='{order.pk}']").check()
        admin.select_option("select[name=action]", "dispatch_orders")
        admin.locator("button[name=index]").click()
        admin.select_option(f"select[name=course_{order.pk}]", str(course.pk))
        admin.locator("input[type=submit].default").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        admin.screenshot(path=str(screenshots / "term-01-dispatched.png"), full_page=True)
        order.refresh_from_db()
        assert (order.status, order.course_id) == (OrderStatus.DISPATCHED, course.pk)
        assert list(Registration.objects.values_list("resident_id", "course_id", "status", "order_id")) == [
            (resident.pk, course.pk, RegistrationStatus.CONFIRMED, order.pk)
        ]

        # The meeting is over: the beat task marks it held (the next one stays scheduled).
        advance_lifecycle.apply()
        assert list(Session.objects.filter(course=course).order_by("starts_at").values_list("status", flat=True)) == [
            SessionStatus.HELD, SessionStatus.SCHEDULED,
        ]

        # The teacher's roll call, in the admin: one click for the resident.
        roll = admin_sign_in(teacher_context, teacher_user)
        roll.goto(reverse("admin:activities_session_roll_call", args=[held.pk]))
        line = roll.locator(f"tr[data-resident='{resident.pk}']")
        expect(line).to_contain_text("张阿姨")
        expect(line).not_to_contain_text(resident.phone)
        line.locator(f"button[value='{resident.pk}:present']").click()
        expect(roll.locator(f"tr[data-resident='{resident.pk}'] button.default")).to_have_attribute(
            "value", f"{resident.pk}:present"
        )
        roll.screenshot(path=str(screenshots / "term-02-roll-call.png"), full_page=True)
        assert list(Attendance.objects.values_list("session_id", "resident_id", "attended", "walk_in", "recorded_by_id")) == [
            (held.pk, resident.pk, True, False, teacher_user.pk)
        ]

        # 返单: the resident rates the meeting on the portal, and the order's timeline shows it.
        client = Client()
        client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
        resident_context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = resident_context.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("ratings:session_feedback", args=[held.pk]))
        page.locator("label[for='" + page.locator('input[name="stars"][value="5"]').get_attribute("id") + "']").click()
        page.locator("button.btn-danger[type=submit]").click()
        expect(page.locator("main > .alert-success")).to_be_visible()
        page.goto(reverse("interests:my_orders"))
        # The fourth step of 点单 → 接单 → 派单 → 返单, done, with the time it happened.
        returned = page.locator(f"#order-{order.pk} ol.timeline li").nth(3)
        expect(returned).not_to_have_class("pending")
        expect(returned.locator("time")).to_have_count(1)
        page.screenshot(path=str(screenshots / "term-03-returned.png"), full_page=True)
    finally:
        resident_context.close()
        teacher_context.close()
        staff_context.close()

    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert list(SessionRating.objects.values_list("session_id", "resident_id", "stars", "teacher_id")) == [
        (held.pk, resident.pk, 5, teacher.pk)
    ]
    assert attendance_rate(college) == 1.0
