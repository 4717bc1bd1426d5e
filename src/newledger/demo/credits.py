"""Credit notes and a vendor credit, so the demo shows what credit does in every report.

Made through the ledger services once the bulk-loaded books are in place (the services post,
apply and refund exactly as a person's clicks would), by the owner, in the last days before
the as-of date:

- a discount on the newest open invoice that carries tax, taken off that invoice (its tax comes
  back in the sales tax report);
- a goodwill credit to a customer who owes nothing, left unused: AR aging shows it as a
  credit;
- a cancelled workshop seat for another such customer, refunded from the checking account;
- a vendor credit for hours not worked on the newest open bill, applied to that bill.

The documents are picked from the books by date and number, so one seed and as-of date still
give the same books.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.ledger.credit_allocations import allocate_credit_note, refund_credit_note
from newledger.ledger.credit_notes import approve_credit_note, create_draft_credit_note
from newledger.ledger.models import CreditNote, Expense, ExpenseLine, Invoice, InvoiceLine
from newledger.money import format_minor

__all__ = ["add_credit_notes"]

DAY = dt.timedelta(days=1)
_OPEN = ("approved", "partially_paid")


def _tenth(amount: int) -> str:
    """A tenth of ``amount`` (minor units) in whole dollars, at least one: a discount."""
    return format_minor(max(100, amount // 10 // 100 * 100), "USD")


def _invoices(
    session: Session, company_id: int, statuses: tuple[str, ...]
) -> list[tuple[Invoice, InvoiceLine]]:
    """Invoices in ``statuses`` with their first line, newest first."""
    rows = session.execute(
        select(Invoice, InvoiceLine)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.company_id == company_id, Invoice.status.in_(statuses))
        .order_by(
            Invoice.issue_date.desc(), Invoice.id.desc(), InvoiceLine.position, InvoiceLine.id
        )
    ).all()
    first: dict[int, tuple[Invoice, InvoiceLine]] = {}
    for invoice, line in rows:
        first.setdefault(invoice.id, (invoice, line))
    return list(first.values())


def _newest_open_bill(session: Session, company_id: int) -> tuple[Expense, ExpenseLine] | None:
    row = session.execute(
        select(Expense, ExpenseLine)
        .join(ExpenseLine, ExpenseLine.expense_id == Expense.id)
        .where(
            Expense.company_id == company_id,
            Expense.kind == "bill",
            Expense.status.in_(_OPEN),
            Expense.contact_id.is_not(None),
        )
        .order_by(Expense.date.desc(), Expense.id.desc(), ExpenseLine.position, ExpenseLine.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def _credit(
    session: Session,
    actor: Actor,
    kind: str,
    contact_id: int,
    day: dt.date,
    line: dict[str, Any],
    apply_to: Invoice | Expense | None = None,
) -> CreditNote:
    """Draft and approve a one-line credit note; ``apply_to``: the invoice or bill its whole
    total (the line and its tax, at most what is due) then comes off."""
    note = create_draft_credit_note(
        session, actor, kind=kind, contact_id=contact_id, date=day, lines=[line]
    )
    approve_credit_note(session, actor, kind, note.id)
    if apply_to is not None:
        due = apply_to.total - apply_to.amount_paid - apply_to.amount_credited
        allocate_credit_note(
            session,
            actor,
            kind,
            note.id,
            document_id=apply_to.id,
            amount=format_minor(min(note.remaining, due), note.currency),
        )
    return note


def add_credit_notes(
    session: Session, actor: Actor, as_of: dt.date, checking_bank_account_id: int
) -> None:
    """Add the demo's credit notes and vendor credit (see the module docstring) as ``actor``,
    a person holding ``ledger:post``. What the books have nothing for is left out."""
    company_id = actor.company_scope()
    open_invoices = _invoices(session, company_id, _OPEN)
    taxed = [(i, line) for i, line in open_invoices if line.tax_rate_id is not None]
    if taxed:
        invoice, line = taxed[0]
        discount = {
            "description": f"Discount agreed on {line.description}",
            "unit_price": _tenth(line.amount),
            "account_id": line.account_id,
            "tax_rate_id": line.tax_rate_id,
        }
        day = max(invoice.issue_date, as_of - DAY * 4)
        _credit(session, actor, "sales", invoice.contact_id, day, discount, invoice)
    # Customers whose invoices are all paid, newest first: a credit left to them shows as a
    # credit of its own in AR aging.
    owing = {i.contact_id for i, _ in open_invoices}
    settled: dict[int, tuple[Invoice, InvoiceLine]] = {}
    for invoice, line in _invoices(session, company_id, ("paid",)):
        if invoice.contact_id not in owing:
            settled.setdefault(invoice.contact_id, (invoice, line))
    clear = list(settled.values())
    if clear:
        invoice, line = clear[0]
        goodwill = {
            "description": "Goodwill credit - missed launch date",
            "unit_price": "250.00",
            "account_id": line.account_id,
        }
        day = max(invoice.issue_date, as_of - DAY * 3)
        _credit(session, actor, "sales", invoice.contact_id, day, goodwill)
    if len(clear) > 1:
        invoice, line = clear[1]
        seat = {
            "description": "Workshop cancelled - seat refunded",
            "unit_price": "450.00",
            "account_id": line.account_id,
        }
        day = max(invoice.issue_date, as_of - DAY * 9)
        note = _credit(session, actor, "sales", invoice.contact_id, day, seat)
        refund_credit_note(
            session,
            actor,
            "sales",
            note.id,
            amount=format_minor(note.remaining, note.currency),
            date=min(as_of, day + DAY * 2),
            bank_account_id=checking_bank_account_id,
            reference="Bank transfer",
        )
    bill = _newest_open_bill(session, company_id)
    if bill is not None and (vendor_id := bill[0].contact_id) is not None:
        expense, bill_line = bill
        hours = {
            "description": "Credit for hours not worked",
            "unit_price": _tenth(bill_line.amount),
            "account_id": bill_line.account_id,
            "tax_rate_id": bill_line.tax_rate_id,
        }
        day = max(expense.date, as_of - DAY * 2)
        _credit(session, actor, "purchase", vendor_id, day, hours, expense)
