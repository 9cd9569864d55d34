"""End to end in headless Chromium: the district office opens the overview and the charts draw real data.

Uses Debian's Chromium through Playwright (never a downloaded browser); skipped where there is none. The
screenshot goes to the test's temporary directory, and also to $DASHBOARD_SCREENSHOT_DIR when set (CI
keeps it as an artefact).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dashboards import services

from .conftest import BACKEND, populate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    # The live server reads committed rows; conftest puts the default star standard back first.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
]


def test_overview_renders_charts_with_data(world, live_server, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    for community in world.communities:
        populate(community, units=2)
    services.rollups_refresh()
    # Sign in through Django, then hand the session cookie to the browser: all database work is done
    # before Playwright starts its event loop.
    client = Client()
    client.force_login(world.district_office, backend=BACKEND)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    url = f"{live_server.url}{reverse('dashboards:overview')}?period=quarter"

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="en-GB")
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            page.wait_for_selector('[data-chart="funnel"][data-rendered="true"]', timeout=15_000)
            page.wait_for_selector('[data-chart="daily"][data-rendered="true"]', timeout=15_000)
            funnel = page.evaluate(
                """() => {
                    const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="funnel"]'));
                    return chart.getOption().series[0].data.map(d => d.value);
                }"""
            )
            canvas_drawn = page.evaluate(
                """() => {
                    const canvas = document.querySelector('[data-chart="funnel"] canvas');
                    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                    let painted = 0;
                    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
                    return painted;
                }"""
            )
            shot = tmp_path / "dashboard-overview.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert errors == []
    assert funnel == [18, 12, 6, 6]  # 3 communities × 2 units × (submitted 3, accepted 2, dispatched 1, returned 1)
    assert canvas_drawn > 1000
    assert shot.stat().st_size > 10_000
    if os.environ.get("DASHBOARD_SCREENSHOT_DIR"):
        target = Path(os.environ["DASHBOARD_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / shot.name)
