"""A receipt attached in a real Chromium: chosen in the expense page's file field, listed with
its name, type and size, downloaded by clicking it, and counted on the review queue's card."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support import files
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import PASSWORD

pytestmark = pytest.mark.browser


def test_a_receipt_attached_in_the_browser_is_listed_and_downloads(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    books = make_page_books(sessions)
    url = live_server.url
    receipt = tmp_path / "staples receipt.pdf"
    receipt.write_bytes(files.pdf("Staples 42.50"))
    sign_in(page, url, books.owner.email, PASSWORD)
    page.goto(f"{url}/expenses/{books.expense_id}")
    expect(page.locator("#attachments-empty")).to_be_visible()
    page.set_input_files("#attachment-file", str(receipt))
    page.click("#attachment-upload")
    link = page.locator("a.attachment-link")
    expect(link).to_have_text("staples receipt.pdf")
    expect(page.locator(".attachment-list tbody tr td").nth(1)).to_have_text("PDF")
    save_screenshot(page, "expense-attachments")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "staples receipt.pdf"
    saved = Path(download.path())
    assert (
        hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(receipt.read_bytes()).digest()
    )
    page.goto(f"{url}/review")
    expect(page.locator(f"#expense-{books.expense_id}-files")).to_contain_text("1 file attached")
