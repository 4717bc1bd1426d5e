"""The lists page by "Next page" links: one reaches every row once even when rows arrive
between two pages, keeps the filters, and a broken or stale link is a page that says so."""

from __future__ import annotations

import html
import re

from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.contacts import create_contact
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.lists import Readers, readers

__all__ = ["server_key"]

_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
_ROW = re.compile(r'<tr id="contact-(\d+)"')


def _add_contacts(r: Readers, names: list[str]) -> list[int]:
    with r.sessions.begin() as s:
        me = r.books.tenant.actor(s)
        return [create_contact(s, me, name=name, kind="vendor").id for name in names]


def test_next_page_links_reach_every_contact_once_while_contacts_are_added(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        before = _add_contacts(r, [f"Vendor {i:03}" for i in range(60)])
        first = r.web.get("/contacts?kind=vendor")
        assert first.status_code == 200
        seen = [int(i) for i in _ROW.findall(first.text)]
        assert len(seen) == 50 and 'rel="first"' not in first.text
        # Added while the person reads page one: one sorts before it, one after.
        early, late = _add_contacts(r, ["Aardvark Supplies", "Zeta Vendor"])
        link = _NEXT.search(first.text)
        assert link is not None and "kind=vendor" in link.group(1)
        second = r.web.get(html.unescape(link.group(1)))
        seen += [int(i) for i in _ROW.findall(second.text)]
        assert 'rel="next"' not in second.text and 'rel="first"' in second.text
    assert len(seen) == len(set(seen))
    assert set(before) | {r.books.vendor_id, late} <= set(seen) and early not in seen


def test_a_broken_page_link_is_a_page_that_says_so_on_every_list(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        for path in ("/invoices", "/expenses", "/contacts", "/activity"):
            # Not base64 JSON; and [1, 2], whose key is no time, day or name.
            for cursor in ("not-a-cursor", "WzEsMl0"):
                page = r.web.get(f"{path}?cursor={cursor}")
                assert page.status_code == 422, (path, cursor, page.status_code)
                assert "This page link is broken or out of date" in page.text
                assert "Traceback" not in page.text
