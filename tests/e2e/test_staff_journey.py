"""A staff member's 接单 in a real headless Chromium, seen by the resident in a second browser.

A community staff member signs in to /admin with their mobile number and password, opens the order inbox,
selects a resident's submitted order and accepts it (接单) with the admin action. The resident, signed in in
a second browser context of their own, then sees the 接单 step done on the order's timeline in My orders.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from accounts.enums import Role  # noqa: E402
from activities import orders  # noqa: E402
from activities.models import Order  # noqa: E402
from interests.enums import OrderStatus  # noqa: E402
from tests.factories import (  # noqa: E402
    CategoryFactory,
    CommunityFactory,
    ResidentFactory,
    StaffFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # the factories' password


def _resident_session_cookie(resident, live_server) -> dict:
    # The resident signs in like any other session of theirs; their sign-up by SMS is the resident journey's test.
    client = Client()
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def test_staff_accepts_an_order_and_the_resident_sees_it(browser, live_server, screenshots):
    community = CommunityFactory(name="金山社区")
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000001")
    resident = ResidentFactory(profile__community=community, name="张阿姨")
    # An interest with no class open: accepting leaves the order at 接单, nothing dispatches it further.
    order = orders.order_place(resident=resident, category=CategoryFactory(name="书法"))

    staff_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    resident_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    try:
        admin = staff_context.new_page()
        admin.set_default_timeout(10_000)
        admin.goto("/admin/")
        admin.fill("#id_username", staff.phone)
        admin.fill("#id_password", PASSWORD)
        admin.locator("form#login-form [type=submit]").click()
        expect(admin.locator("#user-tools")).to_be_visible()

        admin.goto(reverse("admin:activities_order_changelist"))
        row = admin.locator(f"input[name=_selected_action][value='{order.pk}']")
        expect(row).to_be_visible()
        row.check()
        admin.select_option("select[name=action]", "accept_orders")
        admin.locator("button[name=index]").click()
        expect(admin.locator("ul.messagelist li.success")).to_be_visible()
        admin.screenshot(path=str(screenshots / "staff-inbox-accepted.png"), full_page=True)

        order.refresh_from_db()
        last_event = order.events.order_by("-at", "-pk").first()
        assert (order.status, last_event.to_status, last_event.actor) == (
            OrderStatus.ACCEPTED,
            OrderStatus.ACCEPTED,
            staff,
        )

        resident_context.add_cookies([_resident_session_cookie(resident, live_server)])
        page = resident_context.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("interests:my_orders"))
        timeline = page.locator(f"#order-{order.pk} ol.timeline")
        accepted_step = timeline.locator("li", has_text="接单")
        expect(accepted_step).to_have_count(1)
        # Done: not greyed out as a step still to come, with the time it happened.
        expect(accepted_step).not_to_have_class("pending")
        expect(accepted_step.locator("time")).to_have_count(1)
        page.screenshot(path=str(screenshots / "resident-order-accepted.png"), full_page=True)
    finally:
        resident_context.close()
        staff_context.close()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED
