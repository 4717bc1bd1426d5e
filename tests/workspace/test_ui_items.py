"""Items in the draft form over real HTTP: a row that picks an item takes from it what the row
leaves empty (on the server, no JavaScript), what the row says wins, the edit form shows the item
picked, and the document's page and the review queue show the item's code. A draft naming an item
archived since says so and is saved again once another is picked."""

from __future__ import annotations

import html
import re

from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.items import create_item, update_item
from newledger.ledger.tax_rates import create_tax_rate
from tests.conftest import LiveServer
from tests.support.books_ui import (
    TODAY,
    UiBooks,
    created_id,
    expense_row,
    invoice_row,
    make_ui_books,
    submit,
)
from tests.support.workspace import client, sign_in


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return [html.unescape(o) for o in re.findall(r">([^<]*)</option>", select.group(1))]


def _catalogue(sessions: sessionmaker[Session], ui: UiBooks) -> dict[str, int]:
    """A taxed consulting hour (income 4100), printer paper (expense 6500) and an old plan that
    is archived."""
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, ui.books.company_id)
        rate = create_tax_rate(s, me, name="State tax", rate="7.25")
        consult = create_item(
            s,
            me,
            code="CONSULT",
            name="Consulting",
            description="Consulting, per hour",
            unit_price="120.00",
            income_account_id=ui.acct("4100"),
            tax_rate_id=rate.id,
        )
        paper = create_item(
            s,
            me,
            code="PAPER",
            name="Printer paper",
            unit_price="12.50",
            expense_account_id=ui.acct("6500"),
        )
        old = create_item(s, me, code="OLD", name="Old plan", unit_price="1")
        update_item(s, me, old.id, {"is_active": False})
        return {"consult": consult.id, "paper": paper.id, "old": old.id, "rate": rate.id}


def _invoice(customer_id: int, *rows: dict[str, str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "contact_id": str(customer_id),
        "issue_date": TODAY.isoformat(),
        "due_date": "",
        "memo": "",
        "version": "",
        "tax_mode": "exclusive",
    }
    for n, row in enumerate(rows):
        data |= {f"lines-{n}-{key}": value for key, value in row.items()}
    return data


def test_a_line_that_picks_an_item_is_filled_from_it_on_save(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    ids = _catalogue(sessions, ui)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        form = c.get("/invoices/new").text
        # Active items only, by code; the hint says what picking one does.
        assert _options(form, "lines-0-item_id") == [
            "No item",
            "CONSULT · Consulting",
            "PAPER · Printer paper",
        ]
        assert 'id="item-hint"' in form
        fields = _invoice(
            ui.books.customer_id,
            # Only the item and a quantity.
            {"item_id": str(ids["consult"]), "quantity": "2"},
            # The row's own description and price win over the item's.
            {"item_id": str(ids["consult"]), "description": "Discounted hour", "unit_price": "100"},
        )
        saved = submit(c, "/invoices/new", "/invoices/new", fields)
        invoice_id = created_id(saved)
        first, second = invoice_row(sessions, invoice_id).lines
        assert (first.description, first.unit_price, first.amount) == (
            "Consulting, per hour",
            120_00,
            240_00,
        )
        assert (first.account_id, first.tax_rate_id, first.tax_amount, first.item_id) == (
            ui.acct("4100"),
            ids["rate"],
            17_40,
            ids["consult"],
        )
        assert (second.description, second.unit_price, second.item_id) == (
            "Discounted hour",
            100_00,
            ids["consult"],
        )

        edit = c.get(f"/invoices/{invoice_id}/edit").text
        assert re.search(
            rf'name="lines-0-item_id">\s*<option value="">No item</option>\s*'
            rf'<option value="{ids["consult"]}" selected>',
            edit,
        )
        shown = c.get(f"/invoices/{invoice_id}").text
        assert shown.count('<code class="item-code">CONSULT</code> ') == 2
        queue = c.get("/review").text
        assert '<code class="item-code">CONSULT</code> Consulting, per hour' in queue

        # A bill row with only the item: its expense account and price.
        bill = {
            "kind": "bill",
            "contact_id": str(ui.books.vendor.id),
            "date": TODAY.isoformat(),
            "due_date": "",
            "payment_account_id": "",
            "description": "",
            "reference": "",
            "version": "",
            "tax_mode": "exclusive",
            "lines-0-item_id": str(ids["paper"]),
        }
        bill_id = created_id(submit(c, "/expenses/new?kind=bill", "/expenses/new", bill))
        [line] = expense_row(sessions, bill_id).lines
        assert (line.description, line.amount, line.account_id, line.item_id) == (
            "Printer paper",
            12_50,
            ui.acct("6500"),
            ids["paper"],
        )
        assert (
            '<code class="item-code">PAPER</code> Printer paper'
            in c.get(f"/expenses/{bill_id}").text
        )


def test_a_draft_naming_an_item_archived_since_says_so_until_another_is_picked(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    ids = _catalogue(sessions, ui)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        row = {"item_id": str(ids["consult"]), "quantity": "1"}
        invoice_id = created_id(
            submit(c, "/invoices/new", "/invoices/new", _invoice(ui.books.customer_id, row))
        )
        with sessions.begin() as s:
            owner = s.get(User, ui.owner.user_id)
            assert owner is not None
            me = user_actor(s, owner, ui.books.company_id)
            update_item(s, me, ids["consult"], {"is_active": False})
        page = f"/invoices/{invoice_id}/edit"
        edit = c.get(page).text
        assert "CONSULT · Consulting (archived)" in _options(edit, "lines-0-item_id")
        drafted = invoice_row(sessions, invoice_id)
        line = {
            "item_id": str(ids["consult"]),
            "description": "Consulting, per hour",
            "quantity": "1",
            "unit_price": "120.00",
            "account_id": str(ui.acct("4100")),
            "tax_rate_id": str(ids["rate"]),
        }
        fields = _invoice(ui.books.customer_id, line) | {
            "due_date": drafted.due_date.isoformat(),
            "version": str(drafted.version),
        }
        refused = submit(c, page, page, fields)
        assert refused.status_code == 422
        assert re.search(r'id="error-lines-0-item_id">archived<', refused.text)
        assert "Line 1 item: archived" in html.unescape(refused.text)
        # The archived item is not offered to new lines.
        assert "OLD · Old plan (archived)" not in refused.text
        fixed = submit(c, page, page, fields | {"lines-0-item_id": ""})
        assert fixed.status_code == 303, fixed.text
    [kept] = invoice_row(sessions, invoice_id).lines
    assert (kept.item_id, kept.unit_price, kept.description) == (
        None,
        120_00,
        "Consulting, per hour",
    )
