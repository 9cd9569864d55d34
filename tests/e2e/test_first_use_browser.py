"""Issue 19 in a real headless Chromium: a room of residents signing up on one address, the phone pages'
layout, and the staff's daily admin lists on a 1366×900 laptop with nothing wider than the screen.

Screenshots of every page looked at go to var/screenshots/first-use-*.png.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import PHONE, skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts.enums import Role  # noqa: E402
from accounts.models import User  # noqa: E402
from accounts.sms import LocmemSMSBackend  # noqa: E402
from activities import orders  # noqa: E402
from teachers.models import TeacherAvailability  # noqa: E402
from tests.factories import (  # noqa: E402
    BookingFactory,
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    InterestGroupFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    TeacherFactory,
    TeacherSkillFactory,
    VenueFactory,
    WeeklySlotFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # the factories' password
LAPTOP = {"viewport": {"width": 1366, "height": 900}}


def _code_for(phone: str) -> str:
    texts = [m.text for m in LocmemSMSBackend.outbox if m.phone == phone]
    assert texts, f"no SMS reached {phone}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def _session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def _phone_context(browser, live_server):
    return browser.new_context(**PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", reduced_motion="reduce")


def test_three_residents_sign_up_from_one_address_within_one_minute(browser, live_server, screenshots):
    """A community centre: three phones on one Wi-Fi (the live server sees one address), one after the other."""
    CommunityFactory(name="金山社区")
    # As typed on the phones: plain, full-width digits from a Chinese keyboard, with dashes.
    typed = {"13800000101": "13800000101", "13800000102": "１３８ ００００ ０１０２", "13800000103": "138-0000-0103"}
    started = timezone.now()
    for n, (phone, as_typed) in enumerate(typed.items(), start=1):
        context = _phone_context(browser, live_server)
        try:
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto("/")
            signup = page.get_by_role("link", name="用手机号注册")
            expect(signup).to_have_class(re.compile(r"\bbtn-danger\b"))  # looks pressable, not greyed out
            signup.click()
            expect(page).to_have_url(re.compile(reverse("account_signup")))
            expect(page.locator("details summary", has_text="电子邮箱和密码（选填）")).to_be_visible()
            page.fill("#id_name", f"居民{n}")
            page.fill("#id_phone", as_typed)
            if n == 1:
                page.screenshot(path=str(screenshots / "first-use-phone-signup.png"), full_page=True)
            page.get_by_role("button", name="注册").click()
            expect(page).to_have_url(re.compile(reverse("account_verify_phone")))
            expect(page.get_by_label("短信验证码")).to_be_visible()
            if n == 1:
                page.screenshot(path=str(screenshots / "first-use-phone-verify.png"), full_page=True)
            page.get_by_label("短信验证码").fill(_code_for(phone))
            page.get_by_role("button", name="确认").click()
            expect(page).to_have_url(re.compile(reverse("interests:profile")))
            if n == 3:
                page.screenshot(path=str(screenshots / "first-use-phone-profile-new.png"), full_page=False)
        finally:
            context.close()
    assert timezone.now() - started < timedelta(minutes=1)
    assert sorted(User.objects.filter(phone_verified=True).values_list("phone", flat=True)) == sorted(typed)
    assert sorted(m.phone for m in LocmemSMSBackend.outbox) == sorted(typed)


def test_the_phone_pages_put_what_matters_on_the_first_screen(browser, live_server, screenshots):
    community = CommunityFactory(name="金山社区", latitude=29.65, longitude=106.55)
    resident = ResidentFactory(profile__community=community, name="张阿姨")
    field = CategoryFactory(name="体育健身", name_en="Sports")
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi", parent=field)
    for n in range(40):
        CategoryFactory(name=f"兴趣{n:02d}", parent=field)
    venue = VenueFactory(community=community, name="金山党群服务中心", latitude=29.6502, longitude=106.5501)
    slot = WeeklySlotFactory(code="wed-0900", weekday=2, start=time(9), end=time(10, 30))
    course = CourseFactory(community=community, category=taiji, venue=venue, slot=slot, title="太极拳入门班")
    for week in range(6):
        SessionFactory(course=course, venue=venue, starts_at=timezone.now() + timedelta(days=1, weeks=week))
    RegistrationFactory(course=course, resident=resident, status="confirmed")
    orders.order_place(resident=resident, category=taiji, note="周三上午方便")

    context = _phone_context(browser, live_server)
    context.add_cookies([_session_cookie(resident, live_server)])
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        height = PHONE["viewport"]["height"]

        page.goto(reverse("activities:nearby"))
        first_class = page.locator("#class-list li.card").first
        expect(first_class).to_be_visible()
        assert first_class.bounding_box()["y"] < height, "the first class must be on the first screen"
        assert page.locator("#class-filters").get_attribute("open") is None
        page.screenshot(path=str(screenshots / "first-use-phone-nearby.png"))

        page.goto(reverse("interests:my_orders"))
        next_session = page.locator("#next-session-heading + ul li")
        expect(next_session).to_have_count(1)
        expect(next_session).to_contain_text("金山党群服务中心")
        expect(page.get_by_role("link", name="在地图上查看")).to_be_visible()
        assert not re.search(r"\(\d+\.\d{4,}, \d+\.\d{4,}\)", page.content()), "raw coordinates on the page"
        assert page.locator("#orders-heading").bounding_box()["y"] < 2 * height
        page.screenshot(path=str(screenshots / "first-use-phone-my-orders.png"))

        page.goto(reverse("interests:profile"))
        save = page.locator(".sticky-save button[type=submit]")
        expect(save).to_be_in_viewport()  # sticky at the bottom of the first screen
        page.mouse.wheel(0, 2000)
        expect(save).to_be_in_viewport()
        document_height = page.evaluate("document.documentElement.scrollHeight")
        assert document_height < 4 * height, f"profile is {document_height / height:.1f} screens long"
        page.screenshot(path=str(screenshots / "first-use-phone-profile.png"))

        page.goto(f"{reverse('interests:order_create')}?category={CategoryFactory(name='书法', parent=field).pk}")
        note = page.locator("textarea[name=note]")
        note.fill("好" * 510)  # pasted: nothing is cut
        assert len(note.input_value()) == 510
        counter = page.locator(".char-counter")
        expect(counter).to_contain_text("510 / 500")
        expect(counter).to_have_class(re.compile(r"\bover\b"))
        page.get_by_role("button", name=re.compile("点单|发送")).first.click()
        expect(page.locator("body")).to_contain_text("最多 500 个字，现在有 510 个字")
        page.screenshot(path=str(screenshots / "first-use-phone-too-long.png"), full_page=True)

        page.goto("/no-such-page/")
        expect(page.get_by_role("heading", name="此页面不存在")).to_be_visible()
        expect(page.get_by_role("link", name="返回首页")).to_be_visible()
        page.screenshot(path=str(screenshots / "first-use-phone-404.png"))
        page.goto("/dashboards/")
        expect(page.get_by_role("heading", name="此页面不对您的账号开放")).to_be_visible()
        page.screenshot(path=str(screenshots / "first-use-phone-403.png"))
    finally:
        context.close()


def _staff_world():
    community = CommunityFactory(name="金山社区")
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000001")
    field = CategoryFactory(name="文化艺术", name_en="Culture")
    categories = [CategoryFactory(name=f"很长的兴趣名称{n}", parent=field) for n in range(6)]
    venues = [VenueFactory(community=community, name="党群服务中心" + "（二）" * n) for n in range(3)]
    slot = WeeklySlotFactory(code="thu-1400", weekday=3, start=time(14), end=time(15, 30))
    for n, category in enumerate(categories):
        resident = ResidentFactory(profile__community=community, name=f"居民{n}")
        orders.order_place(resident=resident, category=category, note="希望周末上课，最好在党群服务中心" * 3)
        teacher = TeacherFactory(community=community, name=f"老师{n}")
        for skill in categories:
            TeacherSkillFactory(teacher=teacher, category=skill)
        for weekday in range(7):
            TeacherAvailability.objects.create(teacher=teacher, weekday=weekday, start=time(8, 30), end=time(12))
        course = CourseFactory(community=community, category=category, venue=venues[n % 3], slot=slot, title=f"{category.name}公益课（第{n}期）")
        session = SessionFactory(course=course, venue=venues[n % 3], starts_at=timezone.now() + timedelta(days=n + 1))
        BookingFactory(venue=venues[n % 3], session=session, starts_at=session.starts_at, ends_at=session.ends_at, purpose=course.title)
        RegistrationFactory(course=course, resident=resident, status="confirmed")
        InterestGroupFactory(community=community, category=category, name=f"{category.name}兴趣小组")
    return staff


# The lists staff open every day, and the pages around them.
DAILY_LISTS = [
    ("index", "/admin/"),
    ("order-inbox", reverse("admin:activities_order_changelist")),
    ("orders-all", reverse("admin:activities_order_changelist") + "?status=all"),
    ("teacher-pool", reverse("admin:teachers_teacher_changelist")),
    ("venues", reverse("admin:venues_venue_changelist")),
    ("venue-overview", reverse("admin:venues_venue_overview")),
    ("bookings", reverse("admin:venues_booking_changelist")),
    ("courses", reverse("admin:activities_course_changelist")),
    ("sessions", reverse("admin:activities_session_changelist")),
    ("registrations", reverse("admin:activities_registration_changelist")),
    ("groups", reverse("admin:interests_interestgroup_changelist")),
    ("residents", reverse("admin:interests_residentprofile_changelist")),
    ("recommendations", reverse("admin:teachers_teacherrecommendation_changelist")),
    ("match-runs", reverse("admin:activities_matchrun_changelist")),
]


def test_no_daily_admin_list_overflows_a_1366_laptop(browser, live_server, screenshots):
    staff = _staff_world()
    context = browser.new_context(**LAPTOP, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/admin/")
        page.fill("#id_username", staff.phone)
        page.fill("#id_password", PASSWORD)
        page.locator("form#login-form [type=submit]").click()
        expect(page.locator("#user-tools")).to_be_visible()
        overflowing = []
        for name, url in DAILY_LISTS:
            response = page.goto(url)
            assert response.status == 200, f"{name}: {response.status}"
            widths = page.evaluate(
                """() => {
                  const doc = document.documentElement;
                  const table = document.querySelector('#result_list');
                  const box = table && table.closest('.results');
                  return {page: doc.scrollWidth, view: doc.clientWidth,
                          table: table ? table.scrollWidth : 0, box: box ? box.clientWidth : 0};
                }"""
            )
            if widths["page"] > widths["view"] or widths["table"] > widths["box"]:
                overflowing.append((name, widths))
            page.screenshot(path=str(screenshots / f"first-use-laptop-{name}.png"))
        assert overflowing == []

        # The inbox opens on new orders, and the venue overview's headers name each venue legibly.
        page.goto(reverse("admin:activities_order_changelist"))
        expect(page.locator("#changelist-filter li.selected").first).to_contain_text("(6)")
        page.goto(reverse("admin:venues_venue_overview"))
        header_link = page.locator(".module h2 a.venue-name").first
        colours = header_link.evaluate(
            "a => [getComputedStyle(a).color, getComputedStyle(a.closest('h2')).backgroundColor]"
        )
        assert colours[0] != colours[1]
        assert colours[0] in ("rgb(255, 255, 255)", "rgb(255, 255, 204)"), colours
    finally:
        context.close()
