"""AR and AP aging as of a date: current, 1-30, 31-60, 61-90 and 90+ days past due.

A document counts when it was issued on or before the date and was still open then: it is
open now (approved / partially paid), or a payment or void dated after the date closed it later.
Its amount is the total less payments dated on or before the date. So when all receivable
movement comes from invoices and their payments, the aging total equals the AR control
account's balance at that date (and likewise for bills and AP).

Looking up "closed after the date" through journal entries dated after it (an indexed range)
keeps the cost proportional to recent activity rather than to every document ever issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import Contact, Expense, Invoice, JournalEntry, Payment
from newledger.ledger.reports.common import authorize, money, report_currency

__all__ = ["BUCKETS", "Aging", "AgingContact", "ap_aging", "ar_aging", "bucket_for"]

BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "90_plus")
_OPEN = ("approved", "partially_paid")
_CHUNK = 2000
# (id, contact, due date, total) rows of invoices or bills.
_DocSelect = Select[int, int | None, dt.date, int]


def bucket_for(days_past_due: int) -> int:
    """Index into ``BUCKETS``: due today or later is current; 91 days and more is 90+."""
    if days_past_due <= 0:
        return 0
    if days_past_due <= 30:
        return 1
    if days_past_due <= 60:
        return 2
    if days_past_due <= 90:
        return 3
    return 4


@dataclass(frozen=True)
class AgingContact:
    contact_id: int
    name: str
    buckets: tuple[int, int, int, int, int]

    @property
    def total(self) -> int:
        return sum(self.buckets)

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "name": self.name,
            **{k: money(v, currency) for k, v in zip(BUCKETS, self.buckets, strict=True)},
            "total": money(self.total, currency),
        }


@dataclass(frozen=True)
class Aging:
    kind: str  # receivable | payable
    company_id: int
    currency: str
    as_of: dt.date
    contacts: tuple[AgingContact, ...]
    totals: tuple[int, int, int, int, int]

    @property
    def total(self) -> int:
        return sum(self.totals)

    def to_json(self) -> dict[str, Any]:
        c = self.currency
        return {
            "report": "ar_aging" if self.kind == "receivable" else "ap_aging",
            "company_id": self.company_id,
            "currency": c,
            "as_of": self.as_of.isoformat(),
            "contacts": [x.to_json(c) for x in self.contacts],
            "totals": {
                **{k: money(v, c) for k, v in zip(BUCKETS, self.totals, strict=True)},
                "total": money(self.total, c),
            },
        }


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def ar_aging(
    session: Session,
    actor: Actor,
    company_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> Aging:
    """Receivables by customer and days past due."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    base = select(Invoice.id, Invoice.contact_id, Invoice.due_date, Invoice.total).where(
        Invoice.company_id == company_id,
        Invoice.currency == cur,
        Invoice.issue_date <= as_of,
    )
    docs = _open_documents(
        session,
        company_id,
        as_of,
        base,
        Invoice.id,
        Invoice.status,
        Invoice.void_entry_id,
        Payment.invoice_id,
    )
    return _build(session, "receivable", company_id, cur, as_of, docs, Payment.invoice_id)


def ap_aging(
    session: Session,
    actor: Actor,
    company_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> Aging:
    """Bills owed by vendor and days past due (a bill without a due date is due on its date)."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    base = select(
        Expense.id,
        Expense.contact_id,
        func.coalesce(Expense.due_date, Expense.date),
        Expense.total,
    ).where(
        Expense.company_id == company_id,
        Expense.kind == "bill",
        Expense.currency == cur,
        Expense.date <= as_of,
    )
    docs = _open_documents(
        session,
        company_id,
        as_of,
        base,
        Expense.id,
        Expense.status,
        Expense.void_entry_id,
        Payment.expense_id,
    )
    return _build(session, "payable", company_id, cur, as_of, docs, Payment.expense_id)


def _open_documents(
    session: Session,
    company_id: int,
    as_of: dt.date,
    base: _DocSelect,
    id_col: Any,
    status_col: Any,
    void_col: Any,
    payment_doc_col: Any,
) -> dict[int, tuple[int | None, dt.date, int]]:
    """id -> (contact, due date, total) of documents that were open at ``as_of``."""
    docs: dict[int, tuple[int | None, dt.date, int]] = {}

    def add(stmt: _DocSelect) -> None:
        for doc_id, contact_id, due, total in session.execute(stmt):
            docs[doc_id] = (contact_id, due, int(total))

    add(base.where(status_col.in_(_OPEN)))
    # Paid since: a payment journal entry dated after as_of names the payment (source_id).
    later_paid = (
        select(payment_doc_col)
        .join(JournalEntry, JournalEntry.source_id == Payment.id)
        .where(
            JournalEntry.company_id == company_id,
            JournalEntry.date > as_of,
            JournalEntry.source_type == "payment",
            Payment.company_id == company_id,
            payment_doc_col.is_not(None),
        )
    )
    later_ids = sorted({i for (i,) in session.execute(later_paid)} - docs.keys())
    for chunk in _chunks(later_ids):
        add(base.where(id_col.in_(chunk)))
    # Voided since: the reversing entry is dated after as_of.
    add(
        base.join(JournalEntry, JournalEntry.id == void_col).where(
            status_col == "voided", JournalEntry.date > as_of
        )
    )
    return docs


def _build(
    session: Session,
    kind: str,
    company_id: int,
    currency: str,
    as_of: dt.date,
    docs: dict[int, tuple[int | None, dt.date, int]],
    payment_doc_col: Any,
) -> Aging:
    paid: dict[int, int] = {}
    ids = sorted(docs)
    for chunk in _chunks(ids):
        stmt = (
            select(payment_doc_col, func.sum(Payment.amount))
            .where(
                Payment.company_id == company_id,
                payment_doc_col.in_(chunk),
                Payment.date <= as_of,
            )
            .group_by(payment_doc_col)
        )
        paid.update({doc_id: int(amount) for doc_id, amount in session.execute(stmt)})
    per_contact: dict[int | None, list[int]] = {}
    totals = [0, 0, 0, 0, 0]
    for doc_id, (contact_id, due, total) in docs.items():
        outstanding = total - paid.get(doc_id, 0)
        if outstanding == 0:
            continue
        bucket = bucket_for((as_of - due).days)
        per_contact.setdefault(contact_id, [0, 0, 0, 0, 0])[bucket] += outstanding
        totals[bucket] += outstanding
    known = [c for c in per_contact if c is not None]
    names: dict[int, str] = {}
    for chunk in _chunks(known):
        rows = session.execute(
            select(Contact.id, Contact.name).where(
                Contact.company_id == company_id, Contact.id.in_(chunk)
            )
        )
        names.update((contact_id, name) for contact_id, name in rows)
    contacts = [
        AgingContact(c or 0, names.get(c, "") if c is not None else "(no contact)", _five(b))
        for c, b in per_contact.items()
    ]
    contacts.sort(key=lambda x: (x.name.lower(), x.contact_id))
    return Aging(kind, company_id, currency, as_of, tuple(contacts), _five(totals))


def _five(values: list[int]) -> tuple[int, int, int, int, int]:
    return (values[0], values[1], values[2], values[3], values[4])
