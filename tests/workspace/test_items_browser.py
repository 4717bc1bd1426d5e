"""Items in a real Chromium: an owner finds Settings → Items in the menu, adds an item (a refused
price first, the typing kept), edits it, invoices it from the draft form by picking it on a line,
sees its code on the invoice, then archives and restores it. axe finds no serious or critical
violation on the item pages. Screenshots go to ``test-output/screenshots/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.tax_rates import create_tax_rate
from tests.conftest import LiveServer
from tests.support.axe import serious_violations
from tests.support.books_ui import make_ui_books
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.workspace import PASSWORD

pytestmark = pytest.mark.browser


def test_an_owner_adds_an_item_invoices_it_and_archives_it(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        rate_id = create_tax_rate(
            s, user_actor(s, owner, ui.books.company_id), name="State tax", rate="7.25"
        ).id
    url = live_server.url
    sign_in(page, url, ui.owner.email, PASSWORD)

    page.goto(f"{url}/settings/tax-rates")
    page.click("nav.subnav a[href='/settings/items']")
    expect(page).to_have_url(f"{url}/settings/items")
    expect(page.locator("nav.subnav a[aria-current=page]")).to_have_text("Items")
    expect(page.locator("#list-empty")).to_contain_text("No items yet")
    assert serious_violations(page) == [], "items, empty"

    page.fill("#item-code", "CONSULT")
    page.fill("#item-name", "Consulting")
    page.fill("#item-description", "Consulting, per hour")
    page.fill("#item-price", "12.345678")
    page.select_option("#item-income_account_id", str(ui.acct("4100")))
    page.select_option("#item-tax_rate_id", str(rate_id))
    page.click("#add-item")
    expect(page.locator("#error-unit_price")).to_be_visible()
    expect(page.locator("#item-price")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#item-name")).to_have_value("Consulting")
    expect(page.locator("#item-income_account_id")).to_have_value(str(ui.acct("4100")))
    assert serious_violations(page) == [], "items, refused"
    save_screenshot(page, "items-refused")
    page.fill("#item-price", "120")
    page.click("#add-item")
    expect(page.locator("#items-done")).to_have_text("Item added.")
    row = page.locator("#items tbody tr").first
    expect(row).to_contain_text("CONSULT")
    expect(row).to_contain_text("State tax (7.25%)")
    assert serious_violations(page) == [], "items, listed"
    save_screenshot(page, "items-list")

    page.click("a[aria-label='Edit CONSULT']")
    expect(page.locator("h1")).to_have_text("Edit item CONSULT")
    assert serious_violations(page) == [], "item, edit"
    page.fill("#item-price", "125.00")
    page.click("#save-item")
    expect(page.locator("#items-done")).to_contain_text("Item saved.")
    expect(page.locator("#items tbody tr").first).to_contain_text("125")

    # Invoiced from the draft form: the row picks the item and says only the quantity.
    page.goto(f"{url}/invoices/new")
    page.select_option("#contact_id", label="Acme Corp")
    expect(page.locator("#item-hint")).to_be_visible()
    page.select_option("[name=lines-0-item_id]", label="CONSULT · Consulting")
    page.fill("[name=lines-0-quantity]", "2")
    page.click("#save-draft")
    expect(page.locator("#done")).to_contain_text("it is a draft until someone approves it")
    # 2 x 125.00 at the item's rate: 250.00 and 7.25 % tax, 18.125 → 18.13 (the same as Xero's
    # per-line rounding, half away from zero).
    expect(page.locator("#invoice-subtotal")).to_have_text("$250.00")
    expect(page.locator("#invoice-tax")).to_contain_text("$18.13")
    lines = page.locator("table.lines tbody tr")
    expect(lines.first.locator("code.item-code")).to_have_text("CONSULT")
    expect(lines.first).to_contain_text("Consulting, per hour")
    save_screenshot(page, "items-invoiced")

    page.goto(f"{url}/settings/items")
    page.click("button[aria-label='Archive CONSULT']")
    expect(page.locator("#items-done")).to_contain_text("Item archived")
    expect(page.locator("#items")).to_have_count(0)
    page.select_option("#f-status", "archived")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"status=archived"))
    page.click("button[aria-label='Restore CONSULT']")
    expect(page.locator("#items-done")).to_have_text("Item restored.")
    page.goto(f"{url}/settings/items")
    expect(page.locator("#items tbody tr")).to_have_count(1)
