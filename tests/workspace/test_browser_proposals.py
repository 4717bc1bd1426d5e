"""The review queue in a real Chromium with proposals from an app: a reviewer sees what each
is about (the invoice and what is open on it; the bank line, the proposed account and the
hint), approves the payment and rejects the categorization, and the dashboard counts them."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.permissions import Permission
from newledger.ledger import categorization_drafts, payment_drafts
from newledger.ledger.models import BankTransaction, Invoice
from tests.conftest import LiveServer
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.proposals import D, make_office
from tests.support.workspace import PASSWORD


def test_a_reviewer_approves_a_proposed_payment_and_rejects_a_proposed_categorization(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    office = make_office(sessions)
    books = office.books
    with sessions.begin() as s:
        bot = books.app(Permission.PAYMENTS_DRAFT, Permission.BANK_DRAFT)
        payment = payment_drafts.create_payment_draft(
            s,
            bot,
            invoice_id=office.invoice_id,
            amount="150.00",
            date=D,
            bank_account_id=books.checking.id,
        ).id
        category = categorization_drafts.create_categorization_draft(
            s,
            bot,
            bank_transaction_id=office.mystery_id,
            account_id=books.acct("6100"),
            confidence=0.8,
            evidence="Wires carry a fee",
        ).id
    url = live_server.url
    sign_in(page, url, office.owner.email, PASSWORD)
    page.goto(url)
    expect(page.locator("#drafts-count")).to_have_text("2")

    page.goto(f"{url}/review")
    pay_card = page.locator(f"#payment-draft-{payment}")
    expect(pay_card.locator("h2")).to_contain_text("Payment received for invoice INV-")
    expect(pay_card.locator(".fact-open-on-it")).to_have_text("500.00 USD of 500.00 USD")
    expect(pay_card.locator(".source")).to_have_text("API credential app · Receipt Bot")
    cat_card = page.locator(f"#categorization-draft-{category}")
    expect(cat_card.locator(".fact-proposed-account")).to_have_text("6100 Bank Fees")
    expect(cat_card.locator(".fact-confidence")).to_have_text("80%")
    expect(cat_card.locator(".fact-evidence")).to_have_text("Wires carry a fee")
    save_screenshot(page, "review-proposals")

    pay_card.locator("button.approve").click()
    expect(page.locator("#review-done")).to_contain_text(
        f"Proposed payment #{payment} approved and posted"
    )
    cat_card = page.locator(f"#categorization-draft-{category}")
    cat_card.locator("input[name=reason]").fill("It is a refund, not a fee")
    cat_card.locator("button.reject").click()
    expect(page.locator("#review-done")).to_contain_text("rejected")
    expect(page.locator("#review-empty")).to_be_visible()

    with sessions() as s:
        invoice = s.get(Invoice, office.invoice_id)
        line = s.get(BankTransaction, office.mystery_id)
        assert invoice is not None and line is not None
        assert (invoice.status, invoice.amount_paid) == ("partially_paid", 150_00)
        assert (line.status, line.journal_entry_id) == ("uncategorized", None)
