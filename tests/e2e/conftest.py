"""End-to-end tests: the portal served by pytest-django's `live_server`, driven by Debian's Chromium.

Playwright's sync API is used with the system browser (`executable_path=/usr/bin/chromium`); nothing is
downloaded and `playwright install` is never needed. Without /usr/bin/chromium (or without the playwright
package) the test modules skip themselves with the reason (`skip_without_browser`).

Why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API keeps an asyncio event loop "running" in the test's
thread (it lives in a greenlet) for as long as Playwright is started, so Django sees a running loop and
refuses every ORM call from the test body with SynchronousOnlyOperation. There is no real concurrency
here: the test thread only touches the database between browser steps, while the page is idle. The
variable is therefore set only while Playwright runs (the `browser` fixture, with monkeypatch), not for
the whole pytest process: the rest of the suite keeps Django's guard. Playwright is stopped before
pytest-django flushes the database (that flush runs in the test thread too).

The live server runs in a thread of this process, so the SMS backend's class-level outbox
(`accounts.sms.LocmemSMSBackend.outbox`, set up by tests/conftest.py) is the one the tests read codes from.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Phone first: most residents use the portal on a phone (an iPhone 12–15 sized screen).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# CI keeps this folder as an artifact; `var/` is not tracked by git.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def skip_without_browser() -> None:
    """Skip the calling test module, with the reason, when the browser or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"end-to-end tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
            allow_module_level=True,
        )
    pytest.importorskip(
        "playwright.sync_api", reason="end-to-end tests need the playwright package (pip install -e '.[dev]')"
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in a real headless Chromium (deselect with -m 'not e2e')"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so that the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def browser(live_server, monkeypatch):
    """A headless Chromium for one test; started after the live server (and its database), stopped before them."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            # While Playwright runs, the test's thread sees another contextvars context (Playwright's
            # greenlets), so Django's per-context `connections` hands the test body connections of its
            # own, which pytest-django never sees. Close them here, still in that context: on
            # PostgreSQL a forgotten one keeps a session open and DROP DATABASE fails at the end.
            connections.close_all()
            chromium.close()


class PageProblems:
    """What went wrong in the browser that no assertion asked about: script errors and failed requests."""

    def __init__(self):
        self.script_errors: list[str] = []
        self.failed_responses: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page) -> None:
        page.on("pageerror", lambda exc: self.script_errors.append(str(exc)))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def _console(self, message) -> None:
        # Failed loads are reported with their URL by _response; everything else a script logs as an error counts.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.script_errors.append(message.text)

    def _response(self, response) -> None:
        # Browsers ask for /favicon.ico on their own; the portal has none (reported, not a journey failure).
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.failed_responses.append(f"{response.status} {response.request.method} {response.url}")

    def _dialog(self, dialog) -> None:
        # hx-confirm asks with window.confirm(); a resident who pressed the button means "yes".
        self.dialogs.append(dialog.message)
        dialog.accept()

    def assert_none(self) -> None:
        assert self.script_errors == [], f"script errors in the browser: {self.script_errors}"
        assert self.failed_responses == [], f"requests that failed: {self.failed_responses}"


@pytest.fixture
def phone_page(request, browser, live_server, screenshots):
    """A fresh phone-sized page on the live server, in a browser set to Chinese (a resident's phone).

    Yields (page, problems). On failure the page as it was is saved as var/screenshots/FAILED-<test>.png.
    """
    context = browser.new_context(
        **PHONE,
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        # Bootstrap then opens the phone menu without its animation: nothing moves while we click.
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems = PageProblems()
        problems.attach(page)
        yield page, problems
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
            page.screenshot(path=str(screenshots / f"FAILED-{name}.png"), full_page=True)
    finally:
        context.close()
