"""Credit notes in the UI: documents made through the services for the page tests to act on
(an approved invoice or bill, a credit note or vendor credit, drafted or approved), the draft
form filled in as a browser sends it, and the rows read back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger import expenses, invoices
from newledger.ledger.credit_notes import approve_credit_note, create_draft_credit_note
from newledger.ledger.models import CreditNote, Payment
from tests.support.books_ui import TODAY, UiBooks

__all__ = [
    "approved_bill",
    "approved_invoice",
    "credit_fields",
    "credit_id",
    "credit_row",
    "drafted_credit",
    "owner_actor",
    "refunds_of",
]


@contextmanager
def owner_actor(sessions: sessionmaker[Session], ui: UiBooks) -> Iterator[tuple[Session, Actor]]:
    """The owner as an actor, in a transaction committed at the end."""
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        yield s, user_actor(s, owner, ui.books.company_id)


def approved_invoice(sessions: sessionmaker[Session], ui: UiBooks, price: str = "1200.00") -> int:
    with owner_actor(sessions, ui) as (s, me):
        draft = invoices.create_draft_invoice(
            s,
            me,
            contact_id=ui.books.customer_id,
            issue_date=TODAY,
            lines=[{"description": "Design", "unit_price": price}],
        )
        return invoices.approve_invoice(s, me, draft.id).id


def approved_bill(sessions: sessionmaker[Session], ui: UiBooks, amount: str = "400.00") -> int:
    with owner_actor(sessions, ui) as (s, me):
        draft = expenses.create_draft_expense(
            s,
            me,
            kind="bill",
            contact_id=ui.books.vendor.id,
            date=TODAY,
            reference="STP-88",
            lines=[{"description": "Toner", "amount": amount, "account_id": ui.acct("6500")}],
        )
        return expenses.approve_expense(s, me, draft.id).id


def drafted_credit(
    sessions: sessionmaker[Session],
    ui: UiBooks,
    price: str = "300.00",
    *,
    kind: str = "sales",
    allocations: list[dict[str, Any]] | None = None,
    approve: bool = False,
    actor: Actor | None = None,
) -> int:
    """A credit note (``kind`` sales, to Acme Corp) or vendor credit (``purchase``, from
    Staples) of one line at ``price``, drafted by ``actor`` (the owner by default) and, with
    ``approve``, approved by the owner."""
    sales = kind == "sales"
    line: dict[str, Any] = {"description": "Returned", "unit_price": price}
    if not sales:
        line["account_id"] = ui.acct("6500")
    with owner_actor(sessions, ui) as (s, me):
        note = create_draft_credit_note(
            s,
            actor or me,
            kind=kind,
            contact_id=ui.books.customer_id if sales else ui.books.vendor.id,
            date=TODAY,
            lines=[line],
            allocations=allocations,
        )
        if approve:
            approve_credit_note(s, me, kind, note.id)
        return note.id


def credit_fields(
    contact_id: int,
    *lines: tuple[str, str, str],
    account_id: int | str = "",
    allocate: dict[int, str] | None = None,
) -> dict[str, str | list[str]]:
    """The credit-note form filled in: ``lines`` as (description, quantity, unit price),
    ``allocate`` as document id → amount to apply."""
    data: dict[str, str | list[str]] = {
        "contact_id": str(contact_id),
        "date": TODAY.isoformat(),
        "reference": "",
        "memo": "",
        "tax_mode": "exclusive",
        "version": "",
    }
    for n, (text, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{n}-description": text,
            f"lines-{n}-quantity": quantity,
            f"lines-{n}-unit_price": price,
            f"lines-{n}-account_id": str(account_id),
            f"lines-{n}-tax_rate_id": "",
        }
    for document_id, amount in (allocate or {}).items():
        data[f"allocate-{document_id}"] = amount
    return data


_PAGE_ID = re.compile(r"^/(?:credit-notes|vendor-credits)/(\d+)\?")


def credit_id(response: httpx.Response) -> int:
    """The id of the credit note a successful form post went on to show."""
    assert response.status_code == 303, response.text
    match = _PAGE_ID.match(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def credit_row(sessions: sessionmaker[Session], note_id: int) -> CreditNote:
    with sessions() as s:
        found = s.get(CreditNote, note_id)
        assert found is not None
        _ = found.lines, found.allocations
        return found


def refunds_of(sessions: sessionmaker[Session], note_id: int) -> list[Payment]:
    with sessions() as s:
        return list(s.scalars(select(Payment).where(Payment.credit_note_id == note_id)))
