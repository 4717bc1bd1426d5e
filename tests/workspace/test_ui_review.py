"""The review queue and draft editing as a small-business owner reads them: plain words, no
internal field paths, and a viewer is told why there is nothing to click."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.ledger_pages import TODAY, make_page_books
from tests.support.workspace import client, csrf, sign_in


def test_a_draft_edit_with_a_bad_amount_names_the_line_not_the_data_path(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/review/invoices/{books.app_invoice_id}/edit"
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get(path).text
        bad = c.post(
            path,
            data={
                "csrf_token": csrf(page),
                "version": "1",
                "contact_id": str(books.customer_id),
                "issue_date": TODAY.isoformat(),
                "due_date": TODAY.isoformat(),
                "memo": "",
                "lines-0-description": "Consulting",
                "lines-0-quantity": "3",
                "lines-0-unit_price": "abc",
                "lines-0-account_id": "",
            },
        )
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "Check the fields marked below." in text
    assert "Line 1 unit price:" in text
    assert "lines[0]" not in text  # the service's data path stays internal
    assert 'id="error-lines-0-unit_price"' in bad.text  # the field itself is still marked


def test_an_expense_draft_without_a_vendor_reads_no_vendor(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get(f"/review/expenses/{books.expense_id}/edit").text
    assert '<option value="">No vendor</option>' in page
    assert ">None<" not in page


def test_a_viewer_sees_the_queue_with_a_reason_instead_of_actions(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        page = c.get("/review")
    assert page.status_code == 200
    assert 'id="review-read-only"' in page.text
    assert "Approve and post" not in page.text
    assert 'class="decide"' not in page.text  # no empty action bar under each draft
