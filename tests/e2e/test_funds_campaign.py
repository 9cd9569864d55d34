"""A crowd-funding campaign end to end, in a real headless Chromium.

Staff create a campaign in /admin; a resident on a phone finds it under Campaigns and pledges 88 yuan
anonymously; staff confirm the money arrived with the admin action (which posts it and thanks the giver);
the public funds page then shows the raised money and no trace of who gave it.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts.enums import Role  # noqa: E402
from funds.enums import PledgeStatus  # noqa: E402
from funds.models import Campaign, Pledge  # noqa: E402
from notices.models import Notice  # noqa: E402
from tests.factories import CommunityFactory, ResidentFactory, StaffFactory  # noqa: E402
from tests.factories.accounts import CollegeFactory  # noqa: E402
from tests.factories.activities import TermFactory  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def _session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def test_campaign_from_creation_to_the_public_page(browser, live_server, screenshots, phone_page):
    community = CommunityFactory(name="金山社区")
    college = CollegeFactory(community=community, name="金山社区学院")
    today = timezone.localdate()
    TermFactory(name="本学期", starts_on=today.replace(day=1), ends_on=today.replace(day=1).replace(year=today.year + 1))
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000001")
    resident = ResidentFactory(profile__community=community, name="张阿姨")

    staff_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        admin = staff_context.new_page()
        admin.set_default_timeout(10_000)
        admin.goto("/admin/")
        admin.fill("#id_username", staff.phone)
        admin.fill("#id_password", PASSWORD)
        admin.locator("form#login-form [type=submit]").click()
        expect(admin.locator("#user-tools")).to_be_visible()

        # 1. Staff create the campaign (through the service behind the add form).
        admin.goto(reverse("admin:funds_campaign_add"))
        admin.select_option("#id_college", str(college.pk))
        admin.fill("#id_title", "给民乐班添一把古筝")
        admin.fill("#id_purpose", "学员多了，古筝不够用。")
        admin.select_option("#id_use", "equipment")
        admin.fill("#id_target", "2000")
        admin.fill("#id_deadline", (today.replace(year=today.year + 1)).isoformat())
        admin.locator("input[name=_save]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        campaign = Campaign.objects.get()
        assert campaign.created_by == staff

        # 2. The resident pledges from a phone, anonymously.
        page, problems = phone_page
        page.context.add_cookies([_session_cookie(resident, live_server)])
        page.goto(reverse("funds:campaigns"))
        page.get_by_text("给民乐班添一把古筝").click()
        page.fill("#id_amount", "88")
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("[data-testid=mine]")).to_contain_text("88.00")
        page.screenshot(path=str(screenshots / "funds-pledged.png"), full_page=True)
        pledge = Pledge.objects.get()
        assert (pledge.pledger, pledge.status, pledge.public_name) == (resident, PledgeStatus.PLEDGED, "")

        # 3. Staff confirm the money arrived.
        admin.goto(reverse("admin:funds_pledge_changelist"))
        admin.locator(f"input[name=_selected_action][value='{pledge.pk}']").check()
        admin.select_option("select[name=action]", "receive_pledges")
        admin.select_option("select[name=method]", "cash")
        admin.locator("button[name=index]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        pledge.refresh_from_db()
        assert pledge.status == PledgeStatus.RECEIVED

        # 4. The public page shows the money, and nobody's name.
        page.goto(reverse("funds:public", args=[college.pk]))
        expect(page.locator("[data-testid=campaigns]")).to_contain_text("88.00")
        expect(page.locator("[data-testid=income-total]")).to_contain_text("88.00")
        assert "张阿姨" not in page.content()
        page.screenshot(path=str(screenshots / "funds-public.png"), full_page=True)
        problems.assert_none()
    finally:
        staff_context.close()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Without a broker the thank-you task ran in the request: one notice, to the giver.
        assert list(Notice.objects.values_list("recipient_id", "purpose")) == [(resident.pk, "donation_thanks")]
