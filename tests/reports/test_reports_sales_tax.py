"""The sales tax report: figures per rate from posted document lines (voids taken back on their
own date), the tie-out to the tax accounts with other postings apart, on hand-made books and on
the taxed demo books; the same figures over REST, on the page and in its CSV, and from the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.demo import load_demo
from newledger.identity.models import Company
from newledger.ledger import expenses, invoices
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import CreditNote, Expense, Invoice, JournalEntry, TaxRate
from newledger.ledger.reports import sales_tax
from newledger.ledger.tax_rates import create_tax_rate
from newledger.ledger.verify import verify_books
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books
from tests.support.report_pages import (
    csv_figures,
    make_report_pages,
    page_figures,
    rest_figures,
)
from tests.support.workspace import client, sign_in

__all__ = ["server_key"]

D = dt.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def _taxed_books(session: Session, books: Books) -> tuple[TaxRate, TaxRate]:
    """March: two taxed invoices (one voided in April), a receipt with input tax, and the
    February tax paid to the state on March 20 (a manual entry, no document)."""
    sales = create_tax_rate(session, books.actor, name="State 7.25%", rate="7.25")
    vat = create_tax_rate(session, books.actor, name="VAT 20%", rate="20", kind="purchase")
    a = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D(2026, 3, 2),
        lines=[{"unit_price": "200.00", "tax_rate_id": sales.id}, {"unit_price": "50.00"}],
    )
    b = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D(2026, 3, 9),
        lines=[{"unit_price": "100.00", "tax_rate_id": sales.id}],
    )
    receipt = expenses.create_draft_expense(
        session,
        books.actor,
        date=D(2026, 3, 12),
        tax_mode="inclusive",
        lines=[{"amount": "60.00", "account_id": books.acct("6500"), "tax_rate_id": vat.id}],
    )
    for inv in (a, b):
        invoices.approve_invoice(session, books.actor, inv.id)
    expenses.approve_expense(session, books.actor, receipt.id)
    create_manual_entry(
        session,
        books.actor,
        date=D(2026, 3, 20),
        memo="February sales tax to the state",
        lines=[
            {"account_id": sales.account_id, "debit": "31.00"},
            {"account_id": books.acct("1000"), "credit": "31.00"},
        ],
    )
    invoices.void_invoice(session, books.actor, b.id, date=D(2026, 4, 3), reason="wrong customer")
    return sales, vat


def test_figures_per_rate_and_the_tie_out_with_other_postings_apart(session: Session) -> None:
    books = make_books(session)
    sales, vat = _taxed_books(session, books)
    march = sales_tax(session, books.actor, books.company_id, *MARCH)
    by_rate = {r.tax_rate_id: r for r in march.rates}
    # Sales: 200.00 + 100.00 taxed at 7.25 % (14.50 + 7.25); the untaxed 50.00 is not taxable.
    s = by_rate[sales.id]
    assert (s.sales_net, s.sales_tax, s.purchases_net, s.purchases_tax) == (30000, 2175, 0, 0)
    # The receipt: 60.00 inclusive of 20 % is 50.00 net and 10.00 input tax.
    v = by_rate[vat.id]
    assert (v.sales_net, v.sales_tax, v.purchases_net, v.purchases_tax) == (0, 0, 5000, 1000)
    assert march.net_owed == 2175 - 1000
    accounts = {a.account_id: a for a in march.accounts}
    payable, recoverable = accounts[sales.account_id], accounts[vat.account_id]
    assert (payable.movement, payable.from_documents, payable.other) == (2175 - 3100, 2175, -3100)
    assert (recoverable.movement, recoverable.from_documents, recoverable.other) == (
        -1000,
        -1000,
        0,
    )
    assert march.other_movement == -3100 and march.tax_account_movement == 2175 - 1000 - 3100
    assert march.ties_out

    # April holds only the void: the invoice's tax comes back out on the void's date.
    april = sales_tax(session, books.actor, books.company_id, D(2026, 4, 1), D(2026, 4, 30))
    assert [(r.tax_rate_id, r.sales_net, r.sales_tax) for r in april.rates] == [
        (sales.id, -10000, -725)
    ]
    assert april.ties_out and april.tax_account_movement == -725
    # Both months together: what stands.
    both = sales_tax(session, books.actor, books.company_id, D(2026, 3, 1), D(2026, 4, 30))
    assert both.net_owed == 1450 - 1000 and both.ties_out
    assert verify_books(session, books.company_id) == []


def test_the_tie_out_fails_when_a_documents_tax_is_not_on_its_account(session: Session) -> None:
    """A tie-out that could not fail would prove nothing: move a line's tax figure by a cent
    behind the ledger's back and the report says so."""
    books = make_books(session)
    _taxed_books(session, books)
    inv = session.scalars(
        select(Invoice).where(Invoice.company_id == books.company_id).order_by(Invoice.id)
    ).first()
    assert inv is not None
    session.execute(
        Invoice.__table__.update().where(Invoice.id == inv.id).values(tax_total=inv.tax_total + 1)
    )
    line = inv.lines[0]
    session.execute(
        line.__table__.update()
        .where(line.__table__.c.id == line.id)
        .values(tax_amount=line.tax_amount + 1)
    )
    session.expire_all()
    report = sales_tax(session, books.actor, books.company_id, *MARCH)
    assert not report.ties_out


def test_the_taxed_demo_books_tie_out(session: Session) -> None:
    result = load_demo(session, as_of=D(2026, 3, 14))
    assert result is not None
    session.commit()
    company = session.get(Company, result.company_id)
    assert company is not None
    first = session.scalar(
        select(func.min(JournalEntry.date)).where(JournalEntry.company_id == company.id)
    )
    assert first is not None
    report = sales_tax(session, Actor.system(company.id), company.id, first, D(2026, 3, 14))
    assert report.ties_out
    # Not an empty tie-out: tax was both charged and paid, and it equals the documents' own
    # tax totals (posted, not voided), less the tax the credit notes gave back.
    assert report.total("sales_tax") > 0 and report.total("purchases_tax") > 0

    def tax_of(model: type[Invoice] | type[Expense] | type[CreditNote], *where: Any) -> int:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(model.tax_total), 0)).where(
                    model.company_id == company.id,
                    model.journal_entry_id.is_not(None),
                    model.void_entry_id.is_(None),
                    *where,
                )
            )
            or 0
        )

    credited = tax_of(CreditNote, CreditNote.kind == "sales")
    assert credited > 0  # the demo's discount on a taxed invoice
    assert report.total("sales_tax") == tax_of(Invoice) - credited
    assert report.total("purchases_tax") == tax_of(Expense) - tax_of(
        CreditNote, CreditNote.kind == "purchase"
    )


def test_rest_page_csv_and_cli_give_the_services_figures(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    server_key: None,
) -> None:
    pages = make_report_pages(sessions)
    with sessions.begin() as session:
        _taxed_books(session, pages.books)
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    with sessions() as session:
        expected = orjson.loads(
            orjson.dumps(sales_tax(session, pages.books.actor, pages.company_id, *MARCH).to_json())
        )
    assert expected["ties_out"] is True and expected["other_movement"] == "-31.00"

    api, _ = api_for(live_server.url, sessions, pages.books, "reports:read")
    body = api.get("/reports/sales-tax", params=query).json()
    assert body == expected
    api.close()

    with client(live_server.url) as c:
        sign_in(c, pages.owner)
        page = c.get("/reports/sales-tax", params=query)
        assert page.status_code == 200, page.text[:500]
        figures = page_figures(page.text)
        assert {key: text for key, text, _link in figures} == rest_figures("sales-tax", body)
        assert 'id="report-balanced">ties out<' in page.text
        download = c.get("/reports/sales-tax.csv", params=query)
        assert download.status_code == 200
        assert download.headers["content-disposition"] == (
            'attachment; filename="acme-sales-tax-2026-03-01_2026-03-31.csv"'
        )
        assert csv_figures(download.text) == [text for _key, text, _link in figures]
        assert "/reports/sales-tax" in c.get("/reports").text

    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "report", "sales-tax", "--company", "acme",
         "--from", query["from"], "--to", query["to"], "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected
    table = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "report", "sales-tax", "--company", "acme",
         "--from", query["from"], "--to", query["to"]],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "State 7.25%" in table.stdout and "Ties out" in table.stdout
