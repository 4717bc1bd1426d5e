"""The workspace in a real Chromium: TOTP enrolment and sign-in, approving a draft from the review
queue, what a viewer may not do, and the activity log recording each step. Screenshots of the
dashboard, the review queue and the 2FA enrolment page go to ``test-output/screenshots/``."""

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
    sign_out,
)
from tests.support.ledger_pages import invoice, make_page_books
from tests.support.workspace import PASSWORD, Authenticator

pytestmark = pytest.mark.browser


def activity_events(tab: Page, base_url: str) -> list[str]:
    tab.goto(f"{base_url}/activity")
    # Each event cell shows the readable name above the event type's code.
    return [text.strip() for text in tab.locator("#activity td.event code").all_inner_texts()]


def test_a_user_enrols_totp_from_the_secret_on_screen_then_signs_in_with_password_and_code(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    url = live_server.url
    sign_in(page, url, books.owner.email, PASSWORD)
    expect(page.locator("#current-company")).to_have_text("Acme")

    page.goto(f"{url}/account/security/2fa")
    expect(page.locator("#totp-qr")).to_be_visible()
    # "Scanning" = reading the secret the page shows, as a phone app would from the QR code.
    phone = Authenticator(page.inner_text("#totp-secret").strip())
    shot = save_screenshot(page, "2fa-enrolment")
    assert shot.stat().st_size > 0
    page.fill("#code", phone.fresh_code())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("body")).to_contain_text("recovery codes", ignore_case=True)

    sign_out(page)
    sign_in(page, url, books.owner.email, PASSWORD, code=phone.fresh_code())
    expect(page.locator("#current-company")).to_have_text("Acme")
    assert page.url.rstrip("/") == url

    events = activity_events(page, url)
    assert "identity:totp:enrolled" in events
    assert events.count("identity:login:succeeded") >= 2
    assert "identity:login:logout" in events


def test_a_draft_approved_from_the_queue_changes_the_balance_sheet(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions, owner_2fa=True)
    phone = books.owner.authenticator
    assert phone is not None
    url = live_server.url
    sign_in(page, url, books.owner.email, PASSWORD, code=phone.fresh_code())

    page.goto(f"{url}/reports/balance-sheet")
    before = page.inner_text("#bs-total-assets").strip()

    page.goto(f"{url}/review")
    card = page.locator(f"#invoice-{books.app_invoice_id}")
    expect(card.locator(".source")).to_have_text("API credential app · Receipt Bot")
    save_screenshot(page, "review-queue")
    card.locator("button.approve").click()
    expect(page.locator("#review-done")).to_contain_text("approved and posted")
    expect(page.locator(f"#invoice-{books.app_invoice_id}")).to_have_count(0)

    page.goto(f"{url}/reports/balance-sheet")
    after = page.inner_text("#bs-total-assets").strip()
    assert (before, after) == ("$0.00", "$1,200.00")
    expect(page.locator("#balance-sheet")).to_contain_text("balanced")
    assert invoice(sessions, books.app_invoice_id).status == "approved"

    # Post the rest so the dashboard's charts have something to draw, then photograph it.
    page.goto(f"{url}/review")
    page.locator(f"#invoice-{books.ui_invoice_id} button.approve").click()
    expect(page.locator("#review-done")).to_be_visible()
    page.locator(f"#expense-{books.expense_id} button.approve").click()
    expect(page.locator("#review-empty")).to_be_visible()
    page.goto(url)
    expect(page.locator("#drafts-count")).to_have_text("0")
    expect(page.locator("#ar-total")).to_have_text("$1,300.00")
    expect(page.locator("#chart-expenses-desc")).to_contain_text("$42.50")
    save_screenshot(page, "dashboard")

    events = activity_events(page, url)
    assert "identity:login:succeeded" in events
    assert events.count("ledger:invoice:approved") == 2
    assert "ledger:expense:approved" in events


def test_a_viewer_cannot_administer_settings_or_approve_drafts(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    url = live_server.url
    sign_in(page, url, books.viewer.email, PASSWORD)
    nav = page.locator("nav.mainnav")
    expect(nav).to_contain_text("Invoices")
    expect(nav).to_contain_text("Settings")  # their own connections, MCP set-up, security
    expect(nav).to_contain_text("Review")  # they may read the queue, not decide it

    response = page.goto(f"{url}/settings/members")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("Not allowed")

    page.goto(f"{url}/review")
    expect(page.locator(f"#invoice-{books.app_invoice_id}")).to_be_visible()
    expect(page.locator("button.approve")).to_have_count(0)
    expect(page.locator("button.reject")).to_have_count(0)

    # Even a hand-made request with a valid CSRF token is refused.
    token = page.locator("form[action='/signout'] input[name=csrf_token]").first.input_value()
    refused = page.request.post(
        f"{url}/review/invoices/{books.app_invoice_id}/approve",
        form={"csrf_token": token, "version": "1"},
    )
    assert refused.status == 403
    assert re.search(r"ledger:post", refused.text())
    assert invoice(sessions, books.app_invoice_id).status == "draft"
