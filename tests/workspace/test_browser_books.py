"""Keeping the books in a real Chromium, with no API involved: an owner adds a customer, drafts an
invoice and a bill through the forms, approves both from their pages, records a part payment,
voids the bill with a reason, and watches each step in the reports and on the dashboard. Also:
the forms at a phone's width, and a bookkeeper's draft waiting for the owner in the queue.
Screenshots go to ``test-output/screenshots/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger import bank, invoices
from newledger.ledger.payments import record_payment
from tests.conftest import LiveServer
from tests.support.books_ui import TODAY, UiBooks, make_ui_books
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
    sign_out,
)
from tests.support.report_pages import plain
from tests.support.workspace import PASSWORD

pytestmark = pytest.mark.browser


def figures(tab: Page, url: str) -> dict[str, str]:
    """The balance sheet's totals, the P&L's net income (this fiscal year) and AR on the
    dashboard, as REST writes amounts (the pages show ``$1,200.00``)."""
    tab.goto(f"{url}/reports/balance-sheet")
    out = {
        name: plain(tab.inner_text(f"#{name}"))
        for name in ("bs-total-assets", "bs-total-liabilities")
    }
    expect(tab.locator("#balance-sheet")).to_contain_text("balanced")
    tab.goto(f"{url}/reports/profit-and-loss")
    out["pnl-net-income"] = plain(tab.inner_text("#pnl-net-income"))
    tab.goto(url)
    out["ar-total"] = plain(tab.inner_text("#ar-total"))
    return out


def _note_overflow(tab: Page, found: list[str]) -> None:
    """After each page load: note the page if it is wider than the window."""
    wider = tab.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if wider > 0:
        found.append(f"{tab.url} by {wider} px")


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_keeps_the_books_in_the_ui_and_sees_each_step_in_the_reports(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session], width: int
) -> None:
    """The whole flow on a phone and on a desktop: no page is wider than the window."""
    ui = make_ui_books(sessions)
    url = live_server.url
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    too_wide: list[str] = []
    page.on("load", lambda tab: _note_overflow(tab, too_wide))
    sign_in(page, url, ui.owner.email, PASSWORD)
    assert figures(page, url) == {
        "bs-total-assets": "0.00",
        "bs-total-liabilities": "0.00",
        "pnl-net-income": "0.00",
        "ar-total": "0.00",
    }

    # A new customer, from the invoice form's "Add a customer", lands back on the form chosen.
    page.goto(f"{url}/invoices")
    page.click("#new-invoice")
    page.click("#add-customer")
    page.fill("#name", "Initech")
    page.fill("#email", "ap@initech.example")
    page.click("#save-contact")
    expect(page).to_have_url(re.compile(r"/invoices/new\?contact_id=\d+$"))
    expect(page.locator("#contact_id option:checked")).to_have_text("Initech")

    # Two lines: the form has empty rows, and "Add line" makes another without saving.
    rows = page.locator("#line-editor tr.line-row")
    expect(rows).to_have_count(3)
    page.fill("[name=lines-0-description]", "Design sprint")
    page.fill("[name=lines-0-quantity]", "2")
    page.fill("[name=lines-0-unit_price]", "500.00")
    page.fill("[name=lines-1-description]", "Hosting")
    page.fill("[name=lines-1-unit_price]", "200.00")
    page.fill("[name=lines-2-description]", "Typo line")
    page.fill("[name=lines-2-unit_price]", "1.00")
    page.click("#add-line")
    expect(rows).to_have_count(4)
    expect(page.locator("[name=lines-0-description]")).to_have_value("Design sprint")
    page.click("button[aria-label='Remove line 3']")
    expect(page.locator("[name=lines-2-description]")).to_have_value("")
    page.fill("[name=memo]", "Spring project")
    save_screenshot(page, f"books-new-invoice-{width}")
    page.click("#save-draft")
    expect(page.locator("#done")).to_contain_text("it is a draft until someone approves it")
    expect(page.locator("#invoice-total")).to_contain_text("$1,200.00")
    expect(page.locator("h1 .status").first).to_have_text("draft")
    invoice_url = page.url.split("?")[0]
    assert figures(page, url)["bs-total-assets"] == "0.00"  # a draft is not in the books

    page.goto(invoice_url)
    page.click("button.approve")
    expect(page.locator("#done")).to_contain_text("approved and posted")
    expect(page.locator("h1 .status").first).to_have_text("approved")

    # A bill for Staples, 300.00 of office supplies, approved from its page.
    page.goto(f"{url}/expenses")
    page.click("#new-bill")
    expect(page.locator("h1")).to_have_text("New bill")
    page.select_option("#contact_id", label="Staples")
    page.fill("[name=lines-0-description]", "Paper and toner")
    page.fill("[name=lines-0-amount]", "300.00")
    page.select_option("[name=lines-0-account_id]", label="6500 Office Supplies")
    page.click("#save-draft")
    expect(page.locator("#done")).to_be_visible()
    bill_url = page.url.split("?")[0]
    page.click("button.approve")
    expect(page.locator("#done")).to_contain_text("approved and posted")
    assert figures(page, url) == {
        "bs-total-assets": "1200.00",  # receivable
        "bs-total-liabilities": "300.00",  # payable
        "pnl-net-income": "900.00",
        "ar-total": "1200.00",
    }

    # A part payment: 400.00 of the 1,200.00 open, into Business Checking.
    page.goto(invoice_url)
    expect(page.locator("#pay-amount")).to_have_value("1200.00")
    page.fill("#pay-amount", "400.00")
    page.fill("#pay-reference", "Wire 1187")
    page.click("#record-payment-button")
    expect(page.locator("#done")).to_contain_text("is partially paid")
    expect(page.locator("#amount-open")).to_have_text("$800.00")
    expect(page.locator("table.payments")).to_contain_text("Wire 1187")
    save_screenshot(page, f"books-invoice-part-paid-{width}")
    assert figures(page, url) == {
        "bs-total-assets": "1200.00",  # 400.00 in the bank, 800.00 still receivable
        "bs-total-liabilities": "300.00",
        "pnl-net-income": "900.00",
        "ar-total": "800.00",
    }

    # The bill was entered by mistake: void it, with the reason kept on its page.
    page.goto(bill_url)
    page.fill("#void-reason", "Ordered twice; the vendor cancelled one")
    page.click("#void-button")
    expect(page.locator("#done")).to_contain_text("voided")
    expect(page.locator("#void-reason-shown")).to_have_text(
        "Ordered twice; the vendor cancelled one"
    )
    expect(page.locator("h1 .status").first).to_have_text("voided")
    assert figures(page, url) == {
        "bs-total-assets": "1200.00",
        "bs-total-liabilities": "0.00",
        "pnl-net-income": "1200.00",
        "ar-total": "800.00",
    }
    save_screenshot(page, f"books-dashboard-after-{width}")
    assert too_wide == [], too_wide  # every page of the flow fits the window


def part_paid_invoice_and_a_bank_line(sessions: sessionmaker[Session], ui: UiBooks) -> int:
    """An approved invoice with a payment (its page shows both tables and the payment form),
    and an uncategorized bank line (the Bank page's table). Returns the invoice's id."""
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, ui.books.company_id)
        invoice = invoices.create_draft_invoice(
            s,
            me,
            contact_id=ui.books.customer_id,
            issue_date=TODAY,
            lines=[
                {
                    "description": "A rather long description of the work done",
                    "unit_price": "900.00",
                }
            ],
        )
        invoices.approve_invoice(s, me, invoice.id)
        record_payment(
            s, me, amount="100.00", date=TODAY, bank_account_id=ui.books.checking.id,
            invoice_id=invoice.id, reference="First instalment",
        )  # fmt: skip
        bank.import_transactions(
            s, me, ui.books.checking.id,
            [{"external_id": "x1", "date": TODAY.isoformat(), "amount": "-12.00",
              "description": "CARD PURCHASE OFFICE DEPOT STORE 1234 AUSTIN TX"}],
        )  # fmt: skip
        return invoice.id


def test_the_forms_fit_a_phone_screen(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = part_paid_invoice_and_a_bank_line(sessions, ui)
    url = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, url, ui.owner.email, PASSWORD)
    for path in (
        "/invoices/new",
        "/expenses/new?kind=bill",
        "/contacts/new",
        "/bank",
        "/invoices",
        f"/invoices/{invoice_id}",
    ):
        page.goto(f"{url}{path}")
        # The page itself never scrolls sideways; a wide table scrolls inside its own box.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
    page.goto(f"{url}/invoices/new")
    save_screenshot(page, "books-new-invoice-390")


def test_a_bookkeepers_draft_waits_for_the_owner_who_approves_it_from_the_queue(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    url = live_server.url
    sign_in(page, url, ui.keeper.email, PASSWORD)
    page.goto(f"{url}/invoices/new")
    page.select_option("#contact_id", label="Acme Corp")
    page.fill("[name=lines-0-description]", "Bookkeeping, May")
    page.fill("[name=lines-0-unit_price]", "250.00")
    page.click("#save-draft")
    expect(page.locator("#done")).to_contain_text("draft")
    expect(page.locator("h1 .status").first).to_have_text("draft")
    sign_out(page)

    sign_in(page, url, ui.owner.email, PASSWORD)
    page.goto(f"{url}/review")
    card = page.locator("article", has_text="Bookkeeping, May")
    expect(card.locator(".source")).to_have_text("NewLedger UI · keeper@example.com")
    card.locator("button.approve").click()
    expect(page.locator("#review-done")).to_contain_text("approved and posted")
    assert figures(page, url)["ar-total"] == "250.00"
