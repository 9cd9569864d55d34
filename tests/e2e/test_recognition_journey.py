"""A recognition round (榜样评选) end to end, on phones, in a real headless Chromium.

A resident nominates her teacher on the round's page; the street's staff start the public notice (公示); a
neighbour votes (no totals shown); once the notice is over staff decide with a reason and close the round;
staff write the story, the teacher approves it, and the 榜样 wall shows it. Screenshots at each step.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import PHONE, skip_without_browser

skip_without_browser()

from playwright.sync_api import expect  # noqa: E402 — after the skip: the package may be missing

from ratings.models import Candidate, Nomination, Vote  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.ratings.recognition import end_notice, held_session, recognition_world  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(context, user, live_server) -> None:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_nomination_vote_decision_and_the_wall(browser, live_server, screenshots, phone_page):
    world = recognition_world(priority_days=3)
    teacher = world.pair.a1.teacher
    teacher.name = "李老师"
    teacher.user = UserFactory(name="李老师")
    teacher.save(update_fields=["name", "user"])
    resident, neighbour = world.resident(), world.resident()
    held_session(world.pair.a1, attended=[resident, neighbour])
    round_url = reverse("ratings:recognition_round", args=[world.round.pk])
    manage_url = reverse("ratings:recognition_manage", args=[world.round.pk])

    # 1. A resident nominates her teacher, with a reason.
    page, problems = phone_page
    _login(page.context, resident, live_server)
    page.goto(reverse("ratings:recognition_rounds"))
    page.get_by_text(world.round.title).click()
    page.select_option("#id_category", str(world.teachers.pk))
    page.select_option("#id_subject", str(teacher.pk))
    page.fill("#id_reason", "李老师教太极十年，风雨无阻。")
    page.screenshot(path=str(screenshots / "recognition-1-nominate.png"), full_page=True)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-candidate]").first).to_contain_text("李老师")
    assert Nomination.objects.get().nominator == resident

    # 2. The street's staff start the public notice (on their phone too).
    staff_context = browser.new_context(
        **PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    try:
        staff = staff_context.new_page()
        staff.set_default_timeout(10_000)
        _login(staff_context, world.manager, live_server)
        staff.goto(manage_url)
        staff.locator("input[name=action][value=start_notice] + button").click()
        expect(staff.locator(".alert-success")).to_be_visible()
        expect(staff.locator("[data-testid=round-status]")).to_have_attribute("data-status", "notice")

        # 3. A neighbour votes; no totals are shown.
        voter = browser.new_context(
            **PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        try:
            vpage = voter.new_page()
            vpage.set_default_timeout(10_000)
            _login(voter, neighbour, live_server)
            vpage.goto(round_url)
            vpage.locator("[data-candidate] form button[type=submit]").first.click()
            expect(vpage.locator(".alert-success")).to_be_visible()
            vpage.screenshot(path=str(screenshots / "recognition-2-voted.png"), full_page=True)
            expect(vpage.locator("[data-votes]")).to_have_count(0)  # no running totals
        finally:
            voter.close()
        assert list(Vote.objects.values_list("voter_id", flat=True)) == [neighbour.pk]

        # 4. The notice is over: staff decide with a reason, close the round, write the story.
        end_notice(world.round)
        staff.goto(manage_url)
        candidate = Candidate.objects.get()
        card = staff.locator(f"[data-candidate='{candidate.pk}']")
        card.locator("select[name=won]").select_option("1")
        card.locator("input[name=reason]").fill("学员投票第一，出勤率高")
        card.locator("form:has(input[value=decide]) button").click()
        expect(staff.locator(".alert-success")).to_be_visible()
        staff.locator("input[name=action][value=close] + button").click()
        expect(staff.locator("[data-testid=round-status]")).to_have_attribute("data-status", "closed")
        staff.locator(f"[data-candidate='{candidate.pk}'] textarea[name=story]").fill(
            "李老师十年如一日，带出了三支太极队。"
        )
        staff.locator(f"[data-candidate='{candidate.pk}'] textarea[name=story] + button").click()
        expect(staff.locator(".alert-success")).to_be_visible()
        staff.screenshot(path=str(screenshots / "recognition-3-decided.png"), full_page=True)
    finally:
        staff_context.close()

    # 5. The teacher approves publication; the wall shows the story.
    page.context.clear_cookies()
    _login(page.context, teacher.user, live_server)
    page.goto(reverse("ratings:my_recognitions"))
    page.locator("button[name=approve][value='1']").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(reverse("ratings:recognition_wall"))
    expect(page.locator(".wall-entry")).to_contain_text("李老师十年如一日")
    page.screenshot(path=str(screenshots / "recognition-4-wall.png"), full_page=True)
    problems.assert_none()
