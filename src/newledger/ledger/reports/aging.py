"""AR and AP aging as of a date: current, 1-30, 31-60, 61-90 and 90+ days past due.

A document counts when it was issued on or before the date and was still open then: it is
open now (approved / partially paid), or a payment, credit allocation or void dated after the
date closed it later. Its amount is the total less payments and credit allocations dated on or
before the date. Credit notes (vendor credits for AP) count against their contact as negative
amounts, in the current column: their total less what was allocated or refunded of them by the
date. So when all receivable movement comes from invoices, credit notes and their payments and
refunds, the aging total equals the AR control account's balance at that date (and likewise
for bills, vendor credits and AP).

Cost: documents never paid so far (most open ones) are summed by contact and bucket inside the
database; only documents with payments, or closed after the date, are looked at one by one.
"Closed after the date" is found through journal entries dated after it (an indexed range),
so the work follows open and recent documents, not every document ever issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from newledger.actor import Actor
from newledger.errors import NotFound
from newledger.identity.permissions import Permission
from newledger.ledger.models import (
    Contact,
    CreditAllocation,
    CreditNote,
    Expense,
    Invoice,
    JournalEntry,
    Payment,
)
from newledger.ledger.reports.common import authorize, money, report_currency

__all__ = [
    "BUCKETS",
    "Aging",
    "AgingContact",
    "AgingDocument",
    "AgingDocuments",
    "aging_documents",
    "ap_aging",
    "ar_aging",
    "bucket_for",
]

BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "90_plus")
_OPEN = ("approved", "partially_paid")
_CHUNK = 2000


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


@dataclass(frozen=True)
class AgingDocument:
    """One invoice or bill behind an aging row: what was still owed on it at the date."""

    id: int
    label: str  # the invoice number, or "Bill #7"
    issued: dt.date
    due: dt.date
    days_past_due: int
    owed: int
    path: str | None = None  # its page, when it is not the report's kind of document

    @property
    def bucket(self) -> int:
        return bucket_for(self.days_past_due)


@dataclass(frozen=True)
class AgingDocuments:
    """The documents behind one contact's aging row; their buckets sum to the row's."""

    kind: str  # receivable | payable
    currency: str
    as_of: dt.date
    contact_id: int  # 0: documents without a contact
    name: str
    documents: tuple[AgingDocument, ...]

    @property
    def totals(self) -> tuple[int, int, int, int, int]:
        sums = [0, 0, 0, 0, 0]
        for d in self.documents:
            sums[d.bucket] += d.owed
        return _five(sums)

    @property
    def total(self) -> int:
        return sum(d.owed for d in self.documents)


@dataclass(frozen=True)
class _Docs:
    """The columns of invoices (AR) or bills (AP) that aging needs."""

    id: Any
    company_id: Any
    contact_id: Any
    due: Any
    total: Any
    amount_paid: Any
    amount_credited: Any
    status: Any
    void_entry_id: Any
    payment_fk: Any
    credit_fk: Any
    issued_on: Any  # the date it counts from: an invoice's issue date, a bill's date
    currency: Any
    filters: tuple[ColumnElement[bool], ...]
    credit_kind: str  # the credit notes that count against it: sales | purchase


_INVOICES = _Docs(
    Invoice.id,
    Invoice.company_id,
    Invoice.contact_id,
    Invoice.due_date,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.amount_credited,
    Invoice.status,
    Invoice.void_entry_id,
    Payment.invoice_id,
    CreditAllocation.invoice_id,
    Invoice.issue_date,
    Invoice.currency,
    (),
    "sales",
)
_BILLS = _Docs(
    Expense.id,
    Expense.company_id,
    Expense.contact_id,
    func.coalesce(Expense.due_date, Expense.date),
    Expense.total,
    Expense.amount_paid,
    Expense.amount_credited,
    Expense.status,
    Expense.void_entry_id,
    Payment.expense_id,
    CreditAllocation.expense_id,
    Expense.date,
    Expense.currency,
    (Expense.kind == "bill",),
    "purchase",
)


def ar_aging(
    session: Session,
    actor: Actor,
    company_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> Aging:
    """Receivables by customer and days past due."""
    return _aging(session, actor, "receivable", company_id, currency, as_of, _INVOICES)


def ap_aging(
    session: Session,
    actor: Actor,
    company_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> Aging:
    """Bills owed by vendor and days past due (a bill without a due date is due on its date)."""
    return _aging(session, actor, "payable", company_id, currency, as_of, _BILLS)


def aging_documents(
    session: Session,
    actor: Actor,
    kind: str,
    company_id: int,
    contact_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> AgingDocuments:
    """The invoices (``kind`` receivable) or bills (payable) of one contact (0: those without a
    contact) that make up its row of the aging at ``as_of``, oldest due first."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    currency = report_currency(company, currency)
    docs = _INVOICES if kind == "receivable" else _BILLS
    name = "(no contact)"
    if contact_id:
        found = session.execute(
            select(Contact.name).where(Contact.company_id == company_id, Contact.id == contact_id)
        ).scalar_one_or_none()
        if found is None:
            raise NotFound(f"Unknown contact {contact_id}", code="unknown_contact")
        name = found
    contact = contact_id or None
    owed: dict[int, int] = {}
    for statement in _owed(docs, company_id, currency, as_of, contact=contact, per_document=True):
        for doc_id, _bucket, amount in session.execute(statement):
            owed[doc_id] = owed.get(doc_id, 0) + int(amount)
    owed = {d: a for d, a in owed.items() if a}
    label = Invoice.number if kind == "receivable" else Expense.kind
    details = (
        session.execute(
            select(docs.id, label, docs.issued_on, docs.due).where(
                docs.company_id == company_id, docs.id.in_(sorted(owed))
            )
        ).all()
        if owed
        else []
    )
    documents = [
        AgingDocument(
            doc_id,
            str(text) if kind == "receivable" else f"{str(text).capitalize()} #{doc_id}",
            issued,
            due,
            (as_of - due).days,
            owed[doc_id],
        )
        for doc_id, text, issued, due in details
    ]
    path = "/credit-notes" if docs.credit_kind == "sales" else "/vendor-credits"
    documents += [
        AgingDocument(note_id, f"{number} (credit)", day, day, 0, int(amount), f"{path}/{note_id}")
        for note_id, number, day, amount in session.execute(
            _credits(docs, company_id, currency, as_of, contact=contact, per_document=True)
        )
        if amount
    ]
    documents.sort(key=lambda d: (d.due, d.id))
    return AgingDocuments(kind, currency, as_of, contact_id, name, tuple(documents))


def _aging(
    session: Session,
    actor: Actor,
    kind: str,
    company_id: int,
    currency: str | None,
    as_of: dt.date,
    docs: _Docs,
) -> Aging:
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    currency = report_currency(company, currency)
    grid: dict[int | None, list[int]] = {}
    for statement in _owed(docs, company_id, currency, as_of):
        for contact_id, b, amount in session.execute(statement):
            grid.setdefault(contact_id, [0, 0, 0, 0, 0])[int(b)] += int(amount)
    for contact_id, amount in session.execute(_credits(docs, company_id, currency, as_of)):
        grid.setdefault(contact_id, [0, 0, 0, 0, 0])[0] += int(amount)
    return _result(session, kind, company_id, currency, as_of, grid)


def _credits(
    docs: _Docs,
    company_id: int,
    currency: str,
    as_of: dt.date,
    *,
    contact: int | None = None,
    per_document: bool = False,
) -> Executable:
    """What was left of the contact's credit notes at ``as_of``, as negative amounts: rows of
    (contact, amount), or (credit note, number, date, amount) with ``per_document``. A credit
    note counts from its date until a void dated on or before ``as_of``."""
    cn = CreditNote
    allocated = (
        select(func.coalesce(func.sum(CreditAllocation.amount), 0))
        .where(
            CreditAllocation.credit_note_id == cn.id,
            CreditAllocation.status == "applied",
            CreditAllocation.date <= as_of,
        )
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.credit_note_id == cn.id, Payment.date <= as_of)
        .scalar_subquery()
    )
    left = -(cn.total - allocated - refunded)
    voided_later = select(JournalEntry.id).where(
        JournalEntry.id == cn.void_entry_id, JournalEntry.date > as_of
    )
    where = [
        cn.company_id == company_id,
        cn.kind == docs.credit_kind,
        cn.currency == currency,
        cn.date <= as_of,
        or_(
            cn.status.in_(("approved", "applied")),
            and_(cn.status == "voided", voided_later.exists()),
        ),
    ]
    if per_document:
        where.append(cn.contact_id == contact if contact else cn.contact_id.is_(None))
        return select(cn.id, cn.number, cn.date, left).where(*where).order_by(cn.date, cn.id)
    # Fully used credit notes drop out once their last use is dated on or before as_of.
    return select(cn.contact_id, func.sum(left)).where(*where).group_by(cn.contact_id)


def _owed(
    docs: _Docs,
    company_id: int,
    currency: str,
    as_of: dt.date,
    *,
    contact: int | None = None,
    per_document: bool = False,
) -> list[Select[Any]]:
    """The statements that find what was owed at ``as_of``: rows of (contact, bucket, amount)
    summed per contact and bucket, or, ``per_document`` for one ``contact`` (``None``: no
    contact), (document, bucket, amount) per document. The report and its drill-down read the
    same conditions, so they agree."""
    key = docs.id if per_document else docs.contact_id
    issued = (docs.issued_on <= as_of, docs.currency == currency)
    where = (docs.company_id == company_id, *docs.filters, *issued)
    if per_document:
        one = docs.contact_id == contact if contact else docs.contact_id.is_(None)
        where = (*where, one)
    # Bucket boundaries as dates, so the database can bucket without date arithmetic.
    bucket = case(
        (docs.due >= as_of, 0),
        (docs.due >= as_of - dt.timedelta(days=30), 1),
        (docs.due >= as_of - dt.timedelta(days=60), 2),
        (docs.due >= as_of - dt.timedelta(days=90), 3),
        else_=4,
    )

    def summed(*conditions: ColumnElement[bool]) -> Select[Any]:
        if per_document:
            return select(key, bucket, docs.total).where(*where, *conditions)
        return (
            select(key, bucket, func.sum(docs.total))
            .where(*where, *conditions)
            .group_by(key, bucket)
        )

    # Open now and never paid or credited: owed in full at as_of too (payments only ever add).
    never_paid = summed(docs.status.in_(_OPEN), docs.amount_paid == 0, docs.amount_credited == 0)
    # Voided after as_of (a document with payments or credit cannot be voided): owed in full
    # then.
    voided_later = summed(docs.status == "voided", JournalEntry.date > as_of).join(
        JournalEntry, JournalEntry.id == docs.void_entry_id
    )
    # Open now with some payments, or paid off by a payment dated after as_of: each less the
    # payments dated on or before as_of. The payment look-up is correlated on the document,
    # which carries the tenant filter, so it walks the payments' document index.
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(docs.payment_fk == docs.id, Payment.date <= as_of)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(CreditAllocation.amount), 0))
        .where(
            docs.credit_fk == docs.id,
            CreditAllocation.status == "applied",
            CreditAllocation.date <= as_of,
        )
        .scalar_subquery()
    )
    owed = select(key, bucket, docs.total - paid - credited).where(*where)
    later_payments = (
        select(docs.payment_fk.label("doc_id"))
        .join(JournalEntry, JournalEntry.source_id == Payment.id)
        .where(
            JournalEntry.company_id == company_id,
            JournalEntry.date > as_of,
            JournalEntry.source_type == "payment",
            Payment.company_id == company_id,
            docs.payment_fk.is_not(None),
        )
    )
    later_credits = select(docs.credit_fk.label("doc_id")).where(
        CreditAllocation.company_id == company_id,
        CreditAllocation.status == "applied",
        CreditAllocation.date > as_of,
        docs.credit_fk.is_not(None),
    )
    later = union(later_payments, later_credits).subquery()
    # Driven from the (few) later payments, not from every paid document.
    paid_later = (
        owed.select_from(later)
        .join(docs.id.table, docs.id == later.c.doc_id)
        .where(docs.status == "paid")
    )
    part_paid = owed.where(
        docs.status.in_(_OPEN), or_(docs.amount_paid != 0, docs.amount_credited != 0)
    )
    return [never_paid, voided_later, part_paid, paid_later]


def _result(
    session: Session,
    kind: str,
    company_id: int,
    currency: str,
    as_of: dt.date,
    grid: dict[int | None, list[int]],
) -> Aging:
    grid = {c: b for c, b in grid.items() if any(b)}
    known = sorted(c for c in grid if c is not None)
    names: dict[int, str] = {}
    for i in range(0, len(known), _CHUNK):
        rows = session.execute(
            select(Contact.id, Contact.name).where(
                Contact.company_id == company_id, Contact.id.in_(known[i : i + _CHUNK])
            )
        )
        names.update((contact_id, name) for contact_id, name in rows)
    contacts = [
        AgingContact(c or 0, names.get(c, "") if c is not None else "(no contact)", _five(b))
        for c, b in grid.items()
    ]
    contacts.sort(key=lambda x: (x.name.lower(), x.contact_id))
    totals = [sum(b[i] for b in grid.values()) for i in range(5)]
    return Aging(kind, company_id, currency, as_of, tuple(contacts), _five(totals))


def _five(values: list[int]) -> tuple[int, int, int, int, int]:
    return (values[0], values[1], values[2], values[3], values[4])
