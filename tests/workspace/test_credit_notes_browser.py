"""A credit note in a real Chromium, on a phone and a desktop: from a part-paid invoice's page an
owner drafts a credit note (the form comes with the customer, the invoice's lines and what is
due applied to it), approves it, sees what the invoice has due drop by what was applied, and
refunds the rest to the customer. Every new page passes axe-core and fits the window.
Screenshots go to ``test-output/screenshots/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.payments import record_payment
from tests.conftest import LiveServer
from tests.support.axe import serious_violations
from tests.support.books_ui import TODAY, make_ui_books
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.credit_ui import approved_invoice, credit_row, owner_actor, refunds_of
from tests.support.workspace import PASSWORD

pytestmark = pytest.mark.browser


def _check(page: Page, name: str, problems: dict[str, object]) -> None:
    """Note what axe finds and whether the page is wider than the window; screenshot it."""
    if found := serious_violations(page):
        problems[f"{name}: axe"] = found
    wider = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if wider > 0:
        problems[f"{name}: wider than the window by {wider} px"] = page.url
    save_screenshot(page, name)


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_credits_part_of_an_invoice_and_refunds_the_rest(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session], width: int
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "1200.00")
    with owner_actor(sessions, ui) as (s, me):
        record_payment(
            s,
            me,
            amount="400.00",
            date=TODAY,
            bank_account_id=ui.books.checking.id,
            invoice_id=invoice_id,
        )
    url = live_server.url
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    problems: dict[str, object] = {}
    sign_in(page, url, ui.owner.email, PASSWORD)

    # The invoice has 800.00 due; "New credit note" starts from it.
    page.goto(f"{url}/invoices/{invoice_id}")
    expect(page.locator("#amount-open")).to_have_text("$800.00")
    page.click("#new-credit")
    expect(page.locator("h1")).to_have_text("New credit note")
    expect(page.locator("#contact_id option:checked")).to_have_text("Acme Corp")
    expect(page.locator("[name=lines-0-description]")).to_have_value("Design")
    allocation = page.locator(f"[name=allocate-{invoice_id}]")
    expect(allocation).to_have_value("800.00")
    _check(page, f"credit-new-{width}", problems)

    # Only part of the work is credited: 300.00, of which 200.00 comes off the invoice.
    page.fill("[name=lines-0-description]", "Design: one screen dropped")
    page.fill("[name=lines-0-unit_price]", "300.00")
    allocation.fill("200.00")
    page.click("#save-draft")
    expect(page.locator("#done")).to_contain_text("Credit note CN-00001 saved")
    expect(page.locator("#credit-total")).to_have_text("$300.00")
    expect(page.locator("#allocations")).to_contain_text("proposed")
    _check(page, f"credit-draft-{width}", problems)

    page.click("button.approve")
    expect(page.locator("#done")).to_contain_text("approved and posted; $200.00 of it applied")
    expect(page.locator("h1 .status").first).to_have_text("approved")
    expect(page.locator("#credit-remaining")).to_have_text("$100.00")
    note_url = page.url.split("?")[0]

    # The invoice now has 600.00 due, and lists the credit note.
    page.click(f"#allocations a[href='/invoices/{invoice_id}']")
    expect(page.locator("#amount-open")).to_have_text("$600.00")
    expect(page.locator("#amount-credited")).to_have_text("$200.00")
    expect(page.locator("#credits")).to_contain_text("CN-00001")
    save_screenshot(page, f"credit-invoice-after-{width}")

    # Back on the credit note: the rest is refunded, today, through Business Checking.
    page.click("#credits a:text('CN-00001')")
    expect(page).to_have_url(re.compile(re.escape(note_url) + "$"))
    expect(page.locator("#refund-amount")).to_have_value("100.00")
    _check(page, f"credit-approved-{width}", problems)
    page.fill("#refund-reference", "Cheque 3001")
    page.click("#refund-button")
    expect(page.locator("#done")).to_contain_text("Refund of $100.00 recorded")
    expect(page.locator("h1 .status").first).to_have_text("applied")
    expect(page.locator("#refunds")).to_contain_text("Cheque 3001")
    expect(page.locator("#refund-form")).to_have_count(0)
    _check(page, f"credit-applied-{width}", problems)

    for name, path in (("credit-notes", "/credit-notes"), ("vendor-credits", "/vendor-credits")):
        page.goto(url + path)
        _check(page, f"{name}-{width}", problems)
    expect(page.locator("#list-empty")).to_be_visible()
    page.goto(f"{url}/credit-notes")
    expect(page.locator("#credit-list")).to_contain_text("CN-00001")
    assert problems == {}, problems

    note_id = int(note_url.rsplit("/", 1)[1])
    note = credit_row(sessions, note_id)
    assert (note.status, note.amount_allocated, note.amount_refunded) == ("applied", 200_00, 100_00)
    assert [p.amount for p in refunds_of(sessions, note_id)] == [100_00]
