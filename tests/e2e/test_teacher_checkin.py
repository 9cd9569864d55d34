"""Check-in by QR code in a real headless Chromium, on phones.

A teacher opens a meeting's check-in code full screen; a resident, in a second browser context of their own,
opens the code's link and is checked in; the teacher's roster then shows it. Phone-sized screenshots of the
teacher's week, roster and code screen are saved with the other e2e screenshots (var/screenshots/).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from .conftest import PHONE, PageProblems, skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts.enums import Role  # noqa: E402
from activities.models import Attendance  # noqa: E402
from activities.services import registration_create  # noqa: E402
from tests.factories import (  # noqa: E402
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    RoleAssignmentFactory,
    SessionFactory,
    TeacherFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def _phone_context(browser, live_server):
    return browser.new_context(
        **PHONE,
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",
    )


def test_a_resident_scans_the_teachers_code_and_the_roster_shows_it(browser, live_server, screenshots):
    community = CommunityFactory(name="金山社区")
    user = UserFactory(name="李老师", phone="13700000011")
    RoleAssignmentFactory(user=user, role=Role.TEACHER)
    teacher = TeacherFactory(community=community, user=user, name="李老师")
    venue = VenueFactory(community=community, name="金山社区活动室", latitude=29.65, longitude=106.55)
    course = CourseFactory(
        community=community,
        teacher=teacher,
        venue=venue,
        capacity=12,
        category=CategoryFactory(name="太极拳"),
        title="太极拳入门班",
    )
    starts = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    session = SessionFactory(
        course=course, venue=venue, starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=30)
    )
    resident = ResidentFactory(profile__community=community, name="张阿姨", phone="13812345678")
    registration_create(course=course, resident=resident)
    registration_create(course=course, resident=ResidentFactory(profile__community=community, name="王大爷"))

    teacher_context = _phone_context(browser, live_server)
    resident_context = _phone_context(browser, live_server)
    try:
        teacher_context.add_cookies([_cookie(user, live_server)])
        resident_context.add_cookies([_cookie(resident, live_server)])
        page = teacher_context.new_page()
        page.set_default_timeout(10_000)
        problems = PageProblems()
        problems.attach(page)

        # Home → my week: the class of today with its venue and the check-in button.
        page.goto("/")
        page.locator("a[href='/teach/']").first.click()
        card = page.locator(f".session-card[data-session='{session.pk}']")
        expect(card).to_contain_text("太极拳入门班")
        expect(card).to_contain_text("金山社区活动室")
        page.screenshot(path=str(screenshots / "teacher-week.png"), full_page=True)

        card.locator(f"a[href='/teach/sessions/{session.pk}/qr/']").click()
        expect(page.locator("#checkin-qr svg")).to_be_visible()
        link = page.locator("#checkin-link").get_attribute("href")
        assert link.startswith(live_server.url + "/checkin/")
        page.screenshot(path=str(screenshots / "teacher-qr.png"), full_page=True)

        phone = resident_context.new_page()
        phone.set_default_timeout(10_000)
        resident_problems = PageProblems()
        resident_problems.attach(phone)
        phone.goto(link)
        expect(phone.locator("#checkin-done")).to_contain_text("太极拳入门班")
        assert (
            Attendance.objects.filter(
                session=session, resident=resident, attended=True, source="code"
            ).count()
            == 1
        )

        page.goto(f"/teach/sessions/{session.pk}/")
        line = page.locator(f".roster-line[data-resident='{resident.pk}']")
        expect(line).to_have_attribute("data-status", "present")
        expect(line).to_contain_text("138****5678")
        expect(page.locator("#roster-summary")).to_contain_text("1")
        page.screenshot(path=str(screenshots / "teacher-roster.png"), full_page=True)

        problems.assert_none()
        resident_problems.assert_none()
    finally:
        teacher_context.close()
        resident_context.close()
