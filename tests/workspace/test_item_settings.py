"""Settings → Items over real HTTP: a person with ledger:post adds, edits, archives and restores
items; a refused form keeps what was typed and names each field; a viewer reads the list and
changes nothing."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.tags import Event
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.items import create_item
from newledger.ledger.models import Item
from newledger.ledger.tax_rates import create_tax_rate
from tests.conftest import LiveServer
from tests.support.ledger_pages import PageBooks, make_page_books
from tests.support.workspace import client, csrf, events, sign_in


def _items(sessions: sessionmaker[Session], company_id: int) -> list[Item]:
    with sessions() as s:
        query = select(Item).where(Item.company_id == company_id).order_by(Item.id)
        return list(s.scalars(query))


def _codes(page: str) -> list[str]:
    return re.findall(r'<code class="item-code">([^<]*)</code>', page)


def _rate(sessions: sessionmaker[Session], books: PageBooks) -> int:
    with sessions.begin() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, books.company_id)
        return create_tax_rate(s, me, name="State tax", rate="7.25").id


def test_an_owner_adds_edits_archives_and_restores_an_item(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    rate_id = _rate(sessions, books)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get("/settings/items")
        assert page.status_code == 200
        # In the settings menu, next to Tax rates.
        assert re.search(
            r'href="/settings/tax-rates"[^<]*</a></li>\s*<li><a href="/settings/items"', page.text
        )
        assert "State tax (7.25%), sales" in page.text
        token = csrf(page.text)
        fields = {
            "csrf_token": token,
            "code": "HOST-M",
            "name": "Hosting, monthly",
            "description": "Managed hosting, one month",
            "unit_price": "49.99",
            "income_account_id": str(books.income_account_id),
            "expense_account_id": "",
            "tax_rate_id": str(rate_id),
        }
        added = c.post("/settings/items", data=fields)
        assert added.status_code == 303, added.text
        listing = c.get(added.headers["location"]).text
        assert "Item added." in listing and _codes(listing) == ["HOST-M"]
        assert "49.99" in listing and "State tax (7.25%)" in listing
        [item] = _items(sessions, books.company_id)
        assert (item.code, item.name, str(item.unit_price.normalize())) == (
            "HOST-M",
            "Hosting, monthly",
            "49.99",
        )
        assert (item.income_account_id, item.expense_account_id, item.tax_rate_id) == (
            books.income_account_id,
            None,
            rate_id,
        )

        edit = c.get(f"/settings/items/{item.id}")
        assert edit.status_code == 200
        assert 'value="49.99"' in edit.text and 'name="version" value="1"' in edit.text
        saved = c.post(
            f"/settings/items/{item.id}",
            data={**fields, "unit_price": "55", "tax_rate_id": "", "version": "1"},
        )
        assert saved.status_code == 303, saved.text
        [item] = _items(sessions, books.company_id)
        assert (str(item.unit_price.normalize()), item.tax_rate_id, item.version) == ("55", None, 2)

        archived = c.post(f"/settings/items/{item.id}/archive", data={"csrf_token": token})
        assert archived.status_code == 303
        assert _codes(c.get(archived.headers["location"]).text) == []
        gone = c.get("/settings/items", params={"status": "archived"}).text
        assert _codes(gone) == ["HOST-M"] and ">archived<" in gone
        restored = c.post(f"/settings/items/{item.id}/restore", data={"csrf_token": token})
        assert restored.status_code == 303
        assert _codes(c.get("/settings/items").text) == ["HOST-M"]
        assert (
            c.post(f"/settings/items/{item.id}/melt", data={"csrf_token": token}).status_code == 404
        )
    item_events = [
        (a.event, a.details.get("changed")) for a in events(sessions) if a.subject_type == "item"
    ]
    assert item_events == [
        (Event.ITEM_CREATED, None),
        (Event.ITEM_UPDATED, ["tax_rate_id", "unit_price"]),
        (Event.ITEM_ARCHIVED, ["is_active"]),
        (Event.ITEM_UPDATED, ["is_active"]),
    ]


def test_a_refused_item_keeps_what_was_typed_and_names_each_field(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/settings/items").text)
        bad = {
            "csrf_token": token,
            "code": "",
            "name": "Widget <deluxe>",
            "unit_price": "12.345678",
            "income_account_id": "",
            "expense_account_id": "",
            "tax_rate_id": "",
        }
        refused = c.post("/settings/items", data=bad)
        assert refused.status_code == 422 and 'id="error-unit_price"' in refused.text
        page = html.unescape(refused.text)
        assert 'value="Widget <deluxe>"' in page and 'value="12.345678"' in page
        assert 'aria-invalid="true" aria-describedby="error-unit_price"' in refused.text
        no_code = c.post("/settings/items", data={**bad, "unit_price": "12.50"})
        assert no_code.status_code == 422 and 'id="error-code"' in no_code.text
        assert _items(sessions, books.company_id) == []

        # A code already taken, on the add form and on an edit.
        good = {**bad, "code": "W1", "unit_price": "12.50"}
        assert c.post("/settings/items", data=good).status_code == 303
        assert c.post("/settings/items", data={**good, "code": "W2"}).status_code == 303
        taken = c.post("/settings/items", data=good)
        assert taken.status_code == 422
        assert re.search(r'id="error-code">another item has this code<', taken.text)
        w2 = _items(sessions, books.company_id)[1]
        renamed = c.post(f"/settings/items/{w2.id}", data={**good, "version": "1"})
        assert renamed.status_code == 422 and 'id="error-code"' in renamed.text
        assert 'value="W1"' in renamed.text  # what was typed, not what is stored
        # An expense account where an income one belongs (a tampered form) names the field.
        wrong = c.post(
            f"/settings/items/{w2.id}",
            data={**good, "code": "W2", "income_account_id": str(books.expense_account_id)},
        )
        assert wrong.status_code == 422 and 'id="error-income_account_id"' in wrong.text
        # Someone else saved meanwhile: the form says so and keeps the typing.
        stale = c.post(
            f"/settings/items/{w2.id}", data={**good, "code": "W2", "name": "Late", "version": "0"}
        )
        assert stale.status_code == 409 and 'value="Late"' in stale.text
    assert [i.name for i in _items(sessions, books.company_id)] == ["Widget <deluxe>"] * 2


def test_a_viewer_reads_the_items_but_changes_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with sessions.begin() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, books.company_id)
        item_id = create_item(s, me, code="CONSULT", name="Consulting", unit_price="120").id
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        page = c.get("/settings/items")
        assert page.status_code == 200 and _codes(page.text) == ["CONSULT"]
        assert 'href="/settings/items"' in page.text
        assert 'id="item-form"' not in page.text and "/archive" not in page.text
        token = csrf(page.text)
        assert c.get(f"/settings/items/{item_id}").status_code == 403
        for path in ("/settings/items", f"/settings/items/{item_id}/archive"):
            posted = c.post(path, data={"csrf_token": token, "code": "X", "name": "X"})
            assert posted.status_code == 403, path
    [item] = _items(sessions, books.company_id)
    assert item.is_active and item.version == 1
