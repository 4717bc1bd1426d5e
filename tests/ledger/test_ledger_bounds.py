"""Bounded amounts and strict decimals: what reaches the books stays a 64-bit integer.

A draft with lines of about ±9x10^18 minor units and a total of 90.00 used to be accepted, and
approving two of them pushed a daily balance past 64 bits (REAL on SQLite, a 500 on PostgreSQL).
Every line, quantity x price and total is now bounded at the edge (422), CHECK constraints back
the bound in the database, and amounts are plain ASCII decimals.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from newledger.errors import ValidationFailed
from newledger.ledger.expenses import create_draft_expense
from newledger.ledger.invoices import approve_invoice, create_draft_invoice
from newledger.ledger.models import Invoice, JournalEntry, JournalLine
from newledger.money import MAX_MINOR, parse_amount
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books, row_counts

__all__ = ["server_key"]

HUGE = "9999999999999.99"  # just under the bound on its own; times a quantity it is not


def _draft(session: Session, books: Books, lines: list[dict[str, str]]) -> Invoice:
    return create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=dt.date(2025, 1, 1),
        lines=lines,
    )


def test_lines_of_nine_quintillion_that_net_to_ninety_are_refused(session: Session) -> None:
    books = make_books(session)
    session.commit()
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as refused:
        _draft(
            session,
            books,
            [
                {"description": "up", "quantity": "922337", "unit_price": HUGE},
                {"description": "down", "quantity": "922337", "unit_price": "-" + HUGE},
                {"description": "real", "quantity": "1", "unit_price": "90.00"},
            ],
        )
    assert refused.value.errors == {"lines[0].amount": "too large"}
    session.rollback()
    assert row_counts(session) == before


def test_a_line_just_under_the_bound_is_kept_and_one_at_it_is_refused(session: Session) -> None:
    books = make_books(session)
    _draft(session, books, [{"quantity": "1", "unit_price": HUGE}])
    with pytest.raises(ValidationFailed) as refused:
        _draft(session, books, [{"quantity": "2", "unit_price": "5000000000000.00"}])
    assert refused.value.errors == {"lines[0].amount": "too large"}
    with pytest.raises(ValidationFailed) as total:
        _draft(session, books, [{"quantity": "1", "unit_price": HUGE}] * 2)
    assert total.value.errors == {"lines": "too large"}


def test_expense_totals_are_bounded(session: Session) -> None:
    books = make_books(session)
    account = books.acct("6500")
    with pytest.raises(ValidationFailed) as refused:
        create_draft_expense(
            session,
            books.actor,
            date=dt.date(2025, 1, 1),
            payment_account_id=books.checking.account_id,
            lines=[{"amount": HUGE, "account_id": account}] * 2,
        )
    assert refused.value.errors == {"lines": "too large"}


@pytest.mark.parametrize(
    "value",
    ["١٢.00", "１２.00", "12.٠٠", "1_000.00", "1e3", "1E+2", "0x10", "NaN", "Infinity", "12.", ""],  # noqa: RUF001
)
def test_amounts_are_plain_ascii_decimals(value: str) -> None:
    if value == "12.":
        assert parse_amount(value, "USD") == 1200  # a trailing point is still a plain decimal
        return
    with pytest.raises(ValidationFailed):
        parse_amount(value, "USD")


def test_quantities_are_plain_ascii_decimals(session: Session) -> None:
    books = make_books(session)
    for quantity in ("٢", "2e1", "1_0"):
        with pytest.raises(ValidationFailed) as refused:
            _draft(session, books, [{"quantity": quantity, "unit_price": "12.00"}])
        assert "lines[0].quantity" in refused.value.errors


def _approved_invoice(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(company id, invoice id) of a 10.00 invoice approved through the services."""
    with sessions() as session:
        books = make_books(session)
        invoice = _draft(session, books, [{"quantity": "1", "unit_price": "10.00"}])
        approve_invoice(session, books.actor, invoice.id)
        session.commit()
        return books.company.id, invoice.id


def test_the_database_refuses_amounts_past_the_bound_written_around_the_services(
    sessions: sessionmaker[Session],
) -> None:
    _company_id, invoice_id = _approved_invoice(sessions)
    for statement in (
        f"UPDATE invoices SET amount_paid = {MAX_MINOR} WHERE id = {invoice_id}",
        f"UPDATE invoice_lines SET amount = -{MAX_MINOR} WHERE invoice_id = {invoice_id}",
        f"UPDATE account_daily_balances SET debit = {9 * 10**18 + 1}",
        "UPDATE account_daily_balances SET credit = -1",
    ):
        with sessions() as session, pytest.raises(IntegrityError):
            session.execute(text(statement))
            session.flush()


def test_the_database_refuses_a_second_posting_of_one_document(
    sessions: sessionmaker[Session],
) -> None:
    company_id, invoice_id = _approved_invoice(sessions)
    with sessions() as session, pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO journal_entries (company_id, date, memo, source_type, source_id, "
                "created_at) VALUES (:c, '2025-01-01', 'again', 'invoice', :i, '2025-01-01')"
            ),
            {"c": company_id, "i": invoice_id},
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 1
        assert session.scalar(select(func.count()).select_from(JournalLine)) == 2


def test_the_api_answers_422_for_an_unbounded_line_and_an_arabic_indic_price(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    api, _cred = api_for(live_server.url, sessions, books)
    for line, field in (
        ({"quantity": "922337", "unit_price": HUGE}, "lines[0].amount"),
        ({"quantity": "1", "unit_price": "١٢.00"}, "lines[0].unit_price"),
    ):
        response = api.post(
            "/invoices",
            json={"contact_id": books.customer_id, "issue_date": "2025-01-01", "lines": [line]},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in str(response.json()), response.text
