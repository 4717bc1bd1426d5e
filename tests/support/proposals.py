"""The scenario of the proposal tests: an owner who can sign in, an approved invoice with
500.00 open, and two new bank lines, one like four a person categorized to 6500 Office Supplies
before (so NewLedger has a confident hint for it) and one like nothing before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company, User
from newledger.ledger import bank, invoices
from tests.support.books import Books, make_books
from tests.support.workspace import Person, make_person

D = dt.date(2026, 5, 4)


@dataclass
class Office:
    books: Books
    owner: Person  # can sign in and decide drafts
    invoice_id: int  # approved, 500.00 open
    staples_id: int  # an uncategorized bank line like four categorized to 6500 before
    mystery_id: int  # an uncategorized bank line like nothing before


def make_office(sessions: sessionmaker[Session]) -> Office:
    owner = make_person(sessions, "owner@example.com", company="drafts")
    with sessions.begin() as s:
        company, user = s.get(Company, owner.company_id), s.get(User, owner.user_id)
        assert company is not None and user is not None
        books = make_books(s, company=company, owner=user)
        inv = invoices.create_draft_invoice(
            s,
            books.actor,
            contact_id=books.customer.id,
            issue_date=D,
            lines=[{"description": "Design sprint", "unit_price": "500.00"}],
        )
        invoices.approve_invoice(s, books.actor, inv.id)
        history = [
            {"external_id": f"h{i}", "date": f"2026-04-0{i}", "description": f"STAPLES #{i}",
             "amount": f"-2{i}.00"}
            for i in range(1, 5)
        ]  # fmt: skip
        for txn in bank.import_transactions(
            s, books.actor, books.checking.id, history
        ).transactions:
            bank.categorize_transaction(s, books.actor, txn.id, books.acct("6500"))
        new = bank.import_transactions(
            s,
            books.actor,
            books.checking.id,
            [
                {
                    "external_id": "n1",
                    "date": "2026-05-01",
                    "description": "STAPLES #9",
                    "amount": "-37.25",
                },
                {
                    "external_id": "n2",
                    "date": "2026-05-02",
                    "description": "Wire 5521",
                    "amount": "-9.00",
                },
            ],
        ).transactions
        return Office(books, owner, inv.id, new[0].id, new[1].id)
