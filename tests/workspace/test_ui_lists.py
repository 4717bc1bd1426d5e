"""A list with nothing to show says why: a new company's empty books, filters that match
nothing, or a page number past the end (with a way back)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.invoice_list import INVOICE_ORDERS
from tests.conftest import LiveServer
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import client, make_person, sign_in


def test_a_new_companys_lists_say_nothing_is_there_yet(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "new@example.com", company="freshstart")
    with client(live_server.url) as c:
        sign_in(c, owner)
        pages = {path: c.get(path) for path in ("/invoices", "/expenses", "/contacts")}
    assert "No invoices yet." in pages["/invoices"].text
    assert "No expenses or bills yet." in pages["/expenses"].text
    assert "No contacts yet." in pages["/contacts"].text
    assert all("match" not in r.text.split('id="list-empty"')[1][:200] for r in pages.values())


def test_filters_that_match_nothing_offer_to_clear_them(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get("/invoices?status=voided")
    assert page.status_code == 200
    assert "No invoices match these filters." in page.text
    assert '<a href="/invoices">Clear the filters</a>' in page.text


def test_a_page_past_the_end_links_back_to_the_first_page_keeping_the_filters(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    # A "next page" link whose rows were deleted since: past the oldest invoice there is none.
    past_the_end = INVOICE_ORDERS["newest"].encode(
        SimpleNamespace(issue_date=dt.date(1990, 1, 1), id=1)
    )
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get("/invoices", params={"status": "draft", "cursor": past_the_end})
        assert page.status_code == 200
        assert "There is nothing more on this list." in page.text
        assert '<a href="/invoices?status=draft">Go to the first page</a>' in page.text
        first = c.get("/invoices?status=draft")
    assert 'id="invoice-list"' in first.text
