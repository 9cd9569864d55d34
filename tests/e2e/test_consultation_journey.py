"""协商议事 in a real headless Chromium: a resident raises a matter on a phone (the duplicate suggestion
appears while typing), staff take it to deliberation in the admin, a meeting and a decision are recorded,
the owner marks it done in the admin, and the resident confirms on the phone. Screenshots of each step in
var/screenshots/consultation-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import PHONE, skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts.enums import Role  # noqa: E402
from consultation import services  # noqa: E402
from consultation.enums import MatterStatus, Outcome, OwnerKind  # noqa: E402
from consultation.models import Matter  # noqa: E402
from tests.factories import CommunityFactory, ResidentFactory, StaffFactory, VenueFactory  # noqa: E402
from tests.factories.consultation import MatterCategoryFactory  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def _cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def test_from_a_phone_to_a_decision_carried_out(browser, live_server, screenshots):
    community = CommunityFactory(name="人和社区")
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000009")
    resident = ResidentFactory(profile__community=community, name="张阿姨")
    neighbour = ResidentFactory(profile__community=community, name="李叔")
    category = MatterCategoryFactory(name="停车", parent=MatterCategoryFactory(name="环境"))
    existing = services.matter_raise(resident=neighbour, category=category, title="晚上停车难", description="车位少")
    venue = VenueFactory(community=community, name="人和社区学院议事厅")

    phone = browser.new_context(**PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        phone.add_cookies([_cookie(resident, live_server)])
        page = phone.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("consultation:create"))
        page.locator("input[name=title]").press_sequentially("停车太难", delay=30)
        expect(page.locator("#similar")).to_contain_text(existing.title)
        page.screenshot(path=str(screenshots / "consultation-1-similar.png"), full_page=True)
        page.locator("input[name=title]").fill("消防通道被车占了")
        page.fill("textarea[name=description]", "每天晚上都有车停在3栋消防通道")
        page.locator("button[type=submit].btn-primary").click()
        expect(page.locator("h1")).to_have_text("消防通道被车占了")
        page.screenshot(path=str(screenshots / "consultation-2-raised.png"), full_page=True)
        matter = Matter.objects.get(title="消防通道被车占了")

        admin = desk.new_page()
        admin.set_default_timeout(10_000)
        admin.goto("/admin/")
        admin.fill("#id_username", staff.phone)
        admin.fill("#id_password", PASSWORD)
        admin.locator("form#login-form [type=submit]").click()
        expect(admin.locator("#user-tools")).to_be_visible()
        admin.goto(reverse("admin:consultation_matter_changelist"))
        admin.locator(f"input[name=_selected_action][value='{matter.pk}']").check()
        admin.select_option("select[name=action]", "deliberate_matters")
        admin.locator("button[name=index]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        admin.screenshot(path=str(screenshots / "consultation-3-deliberation.png"), full_page=True)
        matter.refresh_from_db()
        assert matter.status == MatterStatus.DELIBERATION

        # The meeting and its decision, as staff record them (booked through the venues' service).
        start = timezone.now() - timedelta(hours=2)
        meeting = services.meeting_schedule(
            community=community, venue=venue, starts_at=start, ends_at=start + timedelta(hours=1),
            title="九月居民议事会", actor=staff, matters=[matter],
        )
        services.meeting_record_minutes(meeting=meeting, actor=staff, minutes="议定：划线并安装地锁")
        decision = services.decision_record(
            meeting=meeting, matter=matter, actor=staff, text="消防通道划线并安装地锁", owner_kind=OwnerKind.STAFF,
            owner_user=staff, due_date=(timezone.now() + timedelta(days=14)).date(),
        )
        admin.goto(reverse("admin:consultation_decision_changelist"))
        admin.locator(f"input[name=_selected_action][value='{decision.pk}']").check()
        admin.select_option("select[name=action]", "mark_done")
        admin.locator("button[name=index]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        admin.screenshot(path=str(screenshots / "consultation-4-done.png"), full_page=True)

        page.goto(reverse("consultation:matter", args=[matter.pk]))
        page.locator(f"a[href='{reverse('consultation:confirm', args=[matter.pk])}']").click()
        page.locator("input[name=is_done][value='1']").check()
        page.locator("input[name=satisfaction][value='5']").check()
        page.fill("textarea[name=comment]", "划线了，谢谢")
        page.screenshot(path=str(screenshots / "consultation-5-confirm.png"), full_page=True)
        page.locator("button[type=submit].btn-primary").click()
        expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
        page.screenshot(path=str(screenshots / "consultation-6-closed.png"), full_page=True)
    finally:
        phone.close()
        desk.close()
    matter.refresh_from_db()
    assert (matter.status, matter.outcome) == (MatterStatus.CLOSED, Outcome.CONFIRMED)
