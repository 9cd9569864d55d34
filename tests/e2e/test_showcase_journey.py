"""兴趣展示 in a real headless Chromium: a group's leader proposes a showcase on a phone (the room is booked),
staff approve it in the admin, a neighbour finds it near home and takes a seat, the leader posts a photo after
the showcase, staff moderate it, and the photo is on the wall. Phone screenshots in var/screenshots/showcase-*.png."""

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
from activities.enums import MediaStatus, RegistrationStatus, ShowcaseStatus  # noqa: E402
from activities.models import Registration, Showcase, ShowcaseMedia  # noqa: E402
from tests.factories import (  # noqa: E402
    CollegeFactory,
    CommunityFactory,
    InterestGroupFactory,
    ResidentFactory,
    StaffFactory,
    VenueFactory,
)
from tests.factories.showcases import backdate, jpeg_with_gps, leader_of  # noqa: E402
from venues.models import Booking  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def _cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def _admin_action(admin, changelist: str, pk: int, action: str) -> None:
    admin.goto(changelist)
    admin.locator(f"input[name=_selected_action][value='{pk}']").check()
    admin.select_option("select[name=action]", action)
    admin.locator("button[name=index]").click()
    expect(admin.locator("ul.messagelist li.success")).to_be_visible()


def test_from_a_proposal_to_photos_on_the_wall(browser, live_server, screenshots, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    community = CommunityFactory(name="人和社区")
    college = CollegeFactory(community=community, name="人和社区学院")
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name="王社工", phone="13700000019")
    group = InterestGroupFactory(community=community, name="夕阳红合唱团")
    leader = leader_of(group, ResidentFactory(profile__community=community, name="刘队长"))
    neighbour = ResidentFactory(profile__community=community, name="张阿姨")
    VenueFactory(community=community, name="人和社区学院多功能厅", capacity=80)
    day = timezone.localdate() + timedelta(days=6)

    phone = browser.new_context(
        **PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    visitor = browser.new_context(
        **PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        # 1. The group's leader proposes the showcase on a phone.
        phone.add_cookies([_cookie(leader, live_server)])
        page = phone.new_page()
        page.set_default_timeout(10_000)
        page.goto(reverse("activities:showcase_propose"))
        page.select_option("select[name=kind]", "performance")
        page.fill("input[name=title]", "合唱团新年音乐会")
        page.select_option("select[name=venue]", label="人和社区学院多功能厅")
        page.fill("input[name=starts_at]", f"{day.isoformat()}T19:00")
        page.fill("input[name=ends_at]", f"{day.isoformat()}T21:00")
        page.fill("input[name=capacity]", "50")
        page.fill("textarea[name=programme]", "1. 《歌唱祖国》\n2. 《茉莉花》")
        page.fill("textarea[name=participants]", "合唱团全体 28 人")
        page.screenshot(path=str(screenshots / "showcase-1-propose.png"), full_page=True)
        page.locator("#propose-showcase").click()
        expect(page.locator("h1")).to_have_text("合唱团新年音乐会")
        expect(page.locator("#showcase-status")).to_be_visible()
        page.screenshot(path=str(screenshots / "showcase-2-proposed.png"), full_page=True)
        showcase = Showcase.objects.get(title="合唱团新年音乐会")
        assert showcase.status == ShowcaseStatus.PROPOSED
        assert Booking.objects.filter(session__course=showcase.audience, venue=showcase.venue).count() == 1

        # 2. Staff approve it in the admin.
        admin = desk.new_page()
        admin.set_default_timeout(10_000)
        admin.goto("/admin/")
        admin.fill("#id_username", staff.phone)
        admin.fill("#id_password", PASSWORD)
        admin.locator("form#login-form [type=submit]").click()
        expect(admin.locator("#user-tools")).to_be_visible()
        _admin_action(
            admin, reverse("admin:activities_showcase_changelist"), showcase.pk, "approve_showcases"
        )
        showcase.refresh_from_db()
        assert showcase.status == ShowcaseStatus.APPROVED

        # 3. A neighbour finds it near home and takes a seat.
        visitor.add_cookies([_cookie(neighbour, live_server)])
        resident = visitor.new_page()
        resident.set_default_timeout(10_000)
        resident.goto(reverse("activities:showcases"))
        resident.locator("#showcase-list a", has_text="合唱团新年音乐会").click()
        resident.locator("#register-audience").click()
        expect(resident.locator("#audience-status")).to_be_visible()
        resident.screenshot(path=str(screenshots / "showcase-3-seat.png"), full_page=True)
        assert (
            Registration.objects.get(course=showcase.audience, resident=neighbour).status
            == RegistrationStatus.CONFIRMED
        )

        # 4. After the showcase, the leader posts a photo (with GPS in its EXIF) and confirms consent.
        backdate(showcase)
        page.goto(reverse("activities:showcase_detail", args=[showcase.pk]))
        page.set_input_files(
            "input[name=photo]",
            files=[{"name": "concert.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}],
        )
        page.fill("input[name=caption]", "全体合影")
        page.check("input[name=consent_confirmed]")
        page.locator("#post-photo").click()
        expect(page.locator(".alert-success, .alert")).not_to_have_count(0)
        item = ShowcaseMedia.objects.get(showcase=showcase)
        assert item.status == MediaStatus.PENDING
        page.screenshot(path=str(screenshots / "showcase-4-photo-posted.png"), full_page=True)

        # Not on the wall before moderation.
        resident.goto(reverse("activities:college_wall", args=[college.pk]))
        expect(resident.locator("#wall-showcases img")).to_have_count(0)

        # 5. Staff moderate it; 6. it is on the college's wall and the district's, and loads.
        _admin_action(admin, reverse("admin:activities_showcasemedia_changelist"), item.pk, "approve_media")
        for wall in (
            reverse("activities:college_wall", args=[college.pk]),
            reverse("activities:showcase_wall"),
        ):
            resident.goto(wall)
            image = resident.locator("#wall-showcases img")
            expect(image).to_have_count(1)
            # The wall's photos load lazily, so the page's load event does not wait for them: the resident
            # scrolls to the photo and it must load (a broken or refused image times out here).
            image.scroll_into_view_if_needed()
            resident.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=15_000
            )
        resident.screenshot(path=str(screenshots / "showcase-5-wall.png"), full_page=True)
    finally:
        phone.close()
        visitor.close()
        desk.close()
