"""Every main page on a phone (390 px) and a desktop (1280 px): nothing wider than the screen,
the menu behind one button on the phone, and no serious or critical axe-core violations.
Screenshots of both widths: ``test-output/screenshots/<page>-390.png`` and ``-1280.png``."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.appconnect_ui import make_app
from tests.support.axe import serious_violations
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.ledger_pages import make_page_books
from tests.support.oauth_authorize import authorize_url, make_client
from tests.support.workspace import PASSWORD

pytestmark = [pytest.mark.browser]

PAGES = {
    "dashboard": "/",
    "invoices": "/invoices",
    "expenses": "/expenses",
    "contacts": "/contacts",
    "review": "/review",
    "reports": "/reports",
    "activity": "/activity",
    "items": "/settings/items",
    "appconnect": "/settings/appconnect?tab=api-credentials",
    "mcp-server": "/settings/appconnect?tab=mcp-server",
    "security": "/account/security",
}


def _overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing sticks out)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _sticking_out(page: Page) -> list[str]:
    """The innermost elements whose right edge is past the window's (to say what to fix)."""
    return list(
        page.evaluate(
            """() => {
              const w = document.documentElement.clientWidth;
              const out = [...document.querySelectorAll("body *")].filter(
                (e) => e.getBoundingClientRect().right > w + 1);
              return out.filter((e) => !out.some((o) => o !== e && e.contains(o)))
                .slice(0, 5).map((e) => e.tagName + "#" + e.id + "." + e.className);
            }"""
        )
    )


def _outside_cards(page: Page) -> list[str]:
    """Elements that run out of the card they sit in (a long URL, a cut-off select)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll(".card *")].filter((e) => {
                 const card = e.closest(".card").getBoundingClientRect();
                 const box = e.getBoundingClientRect();
                 return box.width > 0 && box.right > card.right + 1
                   && !e.closest("table, .chart-card, pre");
               }).slice(0, 5).map((e) => e.tagName + "#" + e.id)"""
        )
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_main_pages_fit_the_screen_and_pass_axe(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session], width: int
) -> None:
    url = live_server.url
    books = make_page_books(sessions, owner_2fa=True)
    assert books.owner.authenticator is not None
    client_id, _ = make_app(sessions, books.owner, "invoices:read", name="Nightly CRM sync")
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})

    page.goto(f"{url}/signin")
    assert _overflow(page) == 0, "signin"
    assert serious_violations(page) == [], "signin"
    save_screenshot(page, f"signin-{width}")
    sign_in(page, url, books.owner.email, PASSWORD, code=books.owner.authenticator.fresh_code())

    problems: dict[str, object] = {}
    for name, path in {**PAGES, "app": f"/settings/appconnect/apps/{client_id}"}.items():
        page.goto(url + path)
        if _overflow(page):
            problems[f"{name}: wider than the screen by {_overflow(page)} px"] = _sticking_out(page)
        if outside := _outside_cards(page):
            problems[f"{name}: out of its card"] = outside
        if found := serious_violations(page):
            problems[f"{name}: axe"] = found
        save_screenshot(page, f"{name}-{width}")
    assert problems == {}, json.dumps(problems, indent=1)

    client = make_client(sessions, name="Claude", company_id=books.company_id)
    page.goto(url + authorize_url(client, f"{url}/mcp"))
    page.wait_for_url(re.compile(r"/oauth/authorize\?"))
    if page.locator("#company-choices").count():
        page.click("#company-choices a[data-company=acme]")
    expect(page.locator("#approve")).to_be_visible()
    assert _overflow(page) == 0, "consent"
    assert serious_violations(page) == [], "consent"
    save_screenshot(page, f"consent-{width}")


def test_on_a_phone_the_menu_folds_behind_one_button(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, books.owner.email, PASSWORD)
    menu = page.locator("#main-menu")
    toggle = page.locator("#menu-toggle")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(menu).to_be_visible()
    expect(page.locator("form[action='/signout'] button")).to_be_in_viewport()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Invoices").click()
    expect(page).to_have_url(re.compile(r"/invoices$"))
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("#main-menu")).to_be_visible()  # the desktop has no fold
    expect(toggle).to_be_hidden()
