"""The reports in a real Chromium: from the Reports index to the P&L for a quarter, a click on
an income line to that account's entries for the quarter, and a click on to the invoice; and
what prints (the figures, without navigation or forms). Screenshots go to
``test-output/screenshots/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.report_pages import make_report_pages
from tests.support.workspace import PASSWORD

pytestmark = pytest.mark.browser


def test_a_pnl_line_leads_to_its_entries_and_on_to_the_invoice(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    pages = make_report_pages(sessions)
    invoice = pages.sample.services_invoice
    services = pages.books.acct("4100")
    url = live_server.url
    sign_in(page, url, pages.owner.email, PASSWORD)

    page.goto(f"{url}/reports")
    page.click("#report-link-profit-and-loss")
    page.fill("#f-from", "2024-01-01")
    page.fill("#f-to", "2024-03-31")
    page.click("form[aria-label='Report dates'] button[type=submit]")
    expect(page.locator("#report-title")).to_contain_text(
        "Profit and loss 2024-01-01 to 2024-03-31"
    )
    line = page.locator(f"#pnl-account-{services}")
    expect(line).to_have_text("$1,200.00")
    expect(page.locator("button[data-print]")).to_be_visible()  # app.js revealed it
    save_screenshot(page, "report-profit-and-loss")

    line.locator("a.drill").click()
    page.wait_for_url(re.compile(rf"/reports/accounts/{services}\?"))
    expect(page.locator("#ledger-title")).to_contain_text("4100 Services Revenue")
    expect(page.locator("#ledger-period")).to_contain_text("2024-01-01 to 2024-03-31")
    rows = page.locator("#ledger-lines tbody tr[id^=line-]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2024-02-15")
    expect(page.locator("#ledger-closing")).to_have_text("$1,200.00")
    save_screenshot(page, "report-account-ledger")

    rows.first.locator("a.document").click()
    page.wait_for_url(re.compile(rf"/invoices/{invoice.id}$"))
    expect(page.locator("h1")).to_contain_text(f"Invoice {invoice.number}")
    expect(page.locator("#invoice-total")).to_contain_text("$1,200.00")


def test_a_printed_report_has_the_figures_without_navigation_or_forms(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    pages = make_report_pages(sessions)
    url = live_server.url
    sign_in(page, url, pages.owner.email, PASSWORD)
    page.goto(f"{url}/reports/balance-sheet?as_of=2024-03-31")
    expect(page.locator(".mainnav")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in (".mainnav", ".topbar", "form.filters", ".presets", ".report-actions"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#bs-total-assets")).to_be_visible()
    colour = page.eval_on_selector("#bs-total-assets", "e => getComputedStyle(e).color")
    background = page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor")
    assert (colour, background) == ("rgb(0, 0, 0)", "rgb(255, 255, 255)")
    breaks = page.eval_on_selector("#bs-assets", "e => getComputedStyle(e).breakInside")
    assert breaks == "avoid"
