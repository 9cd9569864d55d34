"""The enforced Content-Security-Policy in a real Chromium: no page the portal serves is broken by it.

Chromium reports every refused script, style or handler as a console error, which `PageProblems` collects;
each page is also checked for what its scripts should have done (Swagger UI drew the operations, ECharts
drew a canvas, the language menu still switches the language).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.e2e.conftest import PageProblems, browser, screenshots, skip_without_browser  # noqa: F401

skip_without_browser()

from accounts.enums import Role  # noqa: E402
from tests.factories import CommunityFactory, DistrictFactory, StaffFactory, StreetFactory  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _session(user, live_server) -> dict:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def _csp_violations(page) -> list:
    return page.evaluate("() => window.__cspViolations || []")


def _open(context, path):
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = PageProblems()
    problems.attach(page)
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return page, problems


def test_pages_work_under_the_enforced_policy(browser, live_server):  # noqa: F811
    district = DistrictFactory()
    community = CommunityFactory(street=StreetFactory(district=district))
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=district)
    staff = StaffFactory(community=community)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        # Anonymous: the home page, and the language menu (its handler moved out of the markup).
        page, problems = _open(context, "/")
        with page.expect_navigation():
            page.select_option("#language-switch", "en")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en"
        assert _csp_violations(page) == []
        problems.assert_none()

        # Swagger UI, from static/vendor, started by the split view's script file.
        page, problems = _open(context, "/api/docs/")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert _csp_violations(page) == []
        problems.assert_none()

        # The district's dashboards: ECharts draws its charts.
        context.add_cookies([_session(office, live_server)])
        page, problems = _open(context, "/dashboards/")
        assert page.locator("canvas").count() >= 1
        assert _csp_violations(page) == []
        problems.assert_none()

        # The staff admin: a changelist, an autocomplete form (select2) and the import-export page.
        context.clear_cookies()
        context.add_cookies([_session(staff, live_server)])
        for path in ("/admin/activities/order/", "/admin/activities/order/phone/", "/admin/venues/venue/export/"):
            page, problems = _open(context, path)
            assert _csp_violations(page) == [], path
            problems.assert_none()
    finally:
        context.close()
