"""Real-browser testing: Debian's Chromium driven by Playwright's sync API.

Test modules import the fixtures, then ask for ``page`` (or ``browser``) as usual::

    from tests.support.browser import browser_fixture, page_fixture  # noqa: F401  (pytest fixtures)

``browser`` is one headless Chromium per test module (and xdist worker); ``page`` is a fresh
context (no cookies) per test, which fails the test if Chromium reports a Content-Security-Policy
violation: our pages must render under the strict CSP with no inline script or style.

The sync API runs its own event loop in a greenlet, so it must not be used from inside a running
asyncio loop; plain pytest test functions are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "browser_fixture",
    "page_fixture",
    "save_screenshot",
    "sign_in",
    "sign_out",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
_CSP_MESSAGE = re.compile(r"Content Security Policy", re.IGNORECASE)


@pytest.fixture(name="browser", scope="module")
def browser_fixture() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(name="page")
def page_fixture(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and _CSP_MESSAGE.search(message.text):
            violations.append(message.text)

    tab.on("console", on_console)
    try:
        yield tab
    finally:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


def save_screenshot(tab: Page, name: str) -> Path:
    """Save a full-page PNG under ``test-output/screenshots/`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def sign_in(tab: Page, base_url: str, email: str, password: str, code: str | None = None) -> None:
    """Sign in through the real form; ``code`` answers the TOTP step when 2FA is on."""
    tab.goto(f"{base_url}/signin")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", password)
    tab.click("form[action='/signin'] button[type=submit]")
    tab.wait_for_load_state()
    if code is not None:
        tab.wait_for_url(re.compile(r"/signin/totp"))
        tab.fill("input[name=code]", code)
        tab.click("form[action^='/signin/totp'] button[type=submit]")
        tab.wait_for_load_state()


def sign_out(tab: Page) -> None:
    tab.click("form[action='/signout'] button[type=submit]")
    tab.wait_for_url(re.compile(r"/signin"))
