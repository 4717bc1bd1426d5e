"""The review queue: draft invoices, expenses, credit notes and vendor credits, proposed
payments and proposed bank categorizations waiting for a person to approve or reject.

Drafts made by an app or connection name it (``source_label``), and stay in the queue even if
that app or connection is later deleted. Each kind shows only to those who may read what it is
about: invoices and credit notes (``invoices:read``), expenses, bills and vendor credits
(``expenses:read``), payment drafts (``payments:read``), categorization drafts (``bank:read``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission
from newledger.ledger._common import amount_due, company_for
from newledger.ledger.models import (
    Account,
    BankAccount,
    BankTransaction,
    CategorizationDraft,
    Contact,
    CreditAllocation,
    CreditNote,
    Expense,
    Invoice,
    PaymentDraft,
)
from newledger.ledger.payments import document_label
from newledger.money import format_minor

__all__ = ["ReviewItem", "count_drafts_awaiting_review", "list_drafts_awaiting_review"]


@dataclass(frozen=True)
class ReviewItem:
    type: str  # invoice | expense | bill | credit_note | vendor_credit | payment | categorization
    id: int
    # invoice or credit note number, the expense's description / reference, what a payment
    # pays, the bank line
    title: str
    contact_id: int | None
    contact_name: str
    date: dt.date
    total: int
    currency: str
    source: str  # ui | api | mcp | demo | import
    source_label: str
    source_app_id: int | None
    source_connection_id: int | None
    created_at: dt.datetime
    version: int
    # What else a reviewer needs, as (label, value): a payment's document and its open amount,
    # a bank line's account, the proposed account and the hint's confidence and evidence, what
    # a credit note would be applied to.
    facts: tuple[tuple[str, str], ...] = ()
    link: str = ""  # the page of what a proposal is about, if it has one

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"] = format_minor(self.total, self.currency)
        data["date"] = self.date.isoformat()
        data["created_at"] = self.created_at.isoformat()
        return data


_KINDS = {
    "invoice": Permission.INVOICES_READ,
    "expense": Permission.EXPENSES_READ,
    "payment": Permission.PAYMENTS_READ,
    "categorization": Permission.BANK_READ,
}
# A credit note's review item type by its kind, and the kind of draft whose readers see it.
_CREDIT_TYPES = {"sales": ("credit_note", "invoice"), "purchase": ("vendor_credit", "expense")}


def _readable(actor: Actor) -> frozenset[str]:
    """The kinds of draft the actor may see (``_KINDS``); none at all is refused."""
    kinds = frozenset(kind for kind, permission in _KINDS.items() if actor.can(permission))
    if not kinds:
        raise PermissionDenied(
            "Missing permission: " + " or ".join(p.value for p in _KINDS.values()),
            required=tuple(_KINDS.values()),
        )
    return kinds


def _drafts(
    session: Session,
    model: type[Invoice] | type[Expense],
    company_id: int,
    source: str | None,
    limit: int,
) -> Iterable[Any]:
    """The company's oldest drafts of ``model`` with their contact's name (``None`` for an
    expense without one)."""
    query = (
        select(model, Contact.name)
        .outerjoin(Contact, Contact.id == model.contact_id)
        .where(model.company_id == company_id, model.status == "draft")
    )
    if source is not None:
        query = query.where(model.source == source)
    return session.execute(query.order_by(model.created_at).limit(limit))


def _item(
    type_: str,
    doc: Invoice | Expense | CreditNote,
    title: str,
    contact_name: str,
    date: dt.date,
    facts: tuple[tuple[str, str], ...] = (),
    link: str = "",
) -> ReviewItem:
    return ReviewItem(
        type_,
        doc.id,
        title,
        doc.contact_id,
        contact_name,
        date,
        doc.total,
        doc.currency,
        doc.source,
        doc.source_label,
        doc.source_app_id,
        doc.source_connection_id,
        doc.created_at,
        doc.version,
        facts,
        link,
    )


def list_drafts_awaiting_review(
    session: Session,
    actor: Actor,
    *,
    source: str | None = None,
    limit: int = 200,
    company_id: int | None = None,
) -> list[ReviewItem]:
    """Drafts oldest first (the order a reviewer works through them), every kind together;
    only the kinds the actor may read (see the module's docstring). ``source`` keeps only
    drafts from ``ui`` / ``api`` / ``mcp`` / …"""
    kinds = _readable(actor)
    company = company_for(session, actor, company_id)
    limit = max(1, min(limit, 1000))
    items: list[ReviewItem] = []
    if "invoice" in kinds:
        for inv, name in _drafts(session, Invoice, company.id, source, limit):
            items.append(_item("invoice", inv, inv.number, name, inv.issue_date))
    if "expense" in kinds:
        for exp, name in _drafts(session, Expense, company.id, source, limit):
            title = exp.description or exp.reference or f"{exp.kind.capitalize()} #{exp.id}"
            items.append(_item(exp.kind, exp, title, name or "", exp.date))
    for kind, (type_, needs) in _CREDIT_TYPES.items():
        if needs in kinds:
            items += _credit_items(session, company.id, kind, type_, source, limit)
    if "payment" in kinds:
        items += _payment_items(session, company.id, source, limit)
    if "categorization" in kinds:
        items += _categorization_items(session, company.id, source, limit)
    items.sort(key=lambda item: (item.created_at, item.type, item.id))
    return items[:limit]


def _credit_facts(note: CreditNote, applies: list[str]) -> tuple[tuple[str, str], ...]:
    """What a reviewer reads on a credit note's card besides its lines: the allocations its
    approval would apply, and its reference (the vendor's number, an RMA)."""
    facts = [("Allocates on approval", "; ".join(applies))] if applies else []
    if note.reference:
        facts.append(("Reference", note.reference))
    return tuple(facts)


def _credit_items(
    session: Session, company_id: int, kind: str, type_: str, source: str | None, limit: int
) -> list[ReviewItem]:
    """Draft credit notes of ``kind``, each with what it proposes to apply to which invoice
    or bill (read in one more query)."""
    query = (
        select(CreditNote, Contact.name)
        .join(Contact, Contact.id == CreditNote.contact_id)
        .where(
            CreditNote.company_id == company_id,
            CreditNote.kind == kind,
            CreditNote.status == "draft",
        )
    )
    if source is not None:
        query = query.where(CreditNote.source == source)
    rows = session.execute(query.order_by(CreditNote.created_at).limit(limit)).all()
    if not rows:
        return []
    applies: dict[int, list[str]] = {}
    proposed = session.execute(
        select(CreditAllocation, Invoice.number)
        .outerjoin(Invoice, Invoice.id == CreditAllocation.invoice_id)
        .where(
            CreditAllocation.company_id == company_id,
            CreditAllocation.credit_note_id.in_([note.id for note, _ in rows]),
        )
        .order_by(CreditAllocation.id)
    )
    currency = {note.id: note.currency for note, _ in rows}
    for allocation, number in proposed:
        label = f"invoice {number}" if number else f"bill #{allocation.expense_id}"
        cur = currency[allocation.credit_note_id]
        amount = f"{format_minor(allocation.amount, cur)} {cur}"
        applies.setdefault(allocation.credit_note_id, []).append(f"{label}: {amount}")
    return [
        _item(
            type_,
            note,
            note.number,
            name,
            note.date,
            _credit_facts(note, applies.get(note.id, [])),
            f"/{type_.replace('_', '-')}s/{note.id}",
        )
        for note, name in rows
    ]


def _open(model: type[PaymentDraft] | type[CategorizationDraft], company_id: int) -> Any:
    return (
        select(model)
        .where(model.company_id == company_id, model.status == "draft")
        .order_by(model.created_at)
    )


def _source(query: Any, model: Any, source: str | None) -> Any:
    return query if source is None else query.where(model.source == source)


def _proposal(draft: PaymentDraft | CategorizationDraft) -> dict[str, Any]:
    return {
        "source": draft.source,
        "source_label": draft.source_label,
        "source_app_id": draft.source_app_id,
        "source_connection_id": draft.source_connection_id,
        "created_at": draft.created_at,
        "version": draft.version,
    }


def _payment_items(
    session: Session, company_id: int, source: str | None, limit: int
) -> list[ReviewItem]:
    """Open payment drafts, each with the invoice or bill it pays and what is open on it now."""
    rows = session.execute(
        _source(_open(PaymentDraft, company_id), PaymentDraft, source)
        .add_columns(Invoice, Expense, Contact.name, BankAccount.name)
        .outerjoin(Invoice, Invoice.id == PaymentDraft.invoice_id)
        .outerjoin(Expense, Expense.id == PaymentDraft.expense_id)
        .outerjoin(Contact, Contact.id == func.coalesce(Invoice.contact_id, Expense.contact_id))
        .join(BankAccount, BankAccount.id == PaymentDraft.bank_account_id)
        .limit(limit)
    )
    items = []
    for draft, invoice, bill, contact_name, bank_name in rows:
        document: Invoice | Expense = invoice if invoice is not None else bill
        cur = document.currency
        label = document_label(document)
        open_now = amount_due(document)
        facts = [
            ("Pays", f"{label[0].upper()}{label[1:]} ({document.status.replace('_', ' ')})"),
            (
                "Open on it",
                f"{format_minor(open_now, cur)} {cur} of {format_minor(document.total, cur)} {cur}",
            ),
            ("Bank account", bank_name),
        ]
        if draft.reference:
            facts.append(("Reference", draft.reference))
        verb = "received for" if invoice is not None else "made on"
        items.append(
            ReviewItem(
                "payment",
                draft.id,
                f"Payment {verb} {label}",
                document.contact_id,
                contact_name or "",
                draft.date,
                draft.amount,
                draft.currency,
                facts=tuple(facts),
                link=f"/{'invoices' if invoice is not None else 'expenses'}/{document.id}",
                **_proposal(draft),
            )
        )
    return items


def _categorization_items(
    session: Session, company_id: int, source: str | None, limit: int
) -> list[ReviewItem]:
    """Open categorization drafts with their bank line, the proposed account and the hint."""
    rows = session.execute(
        _source(_open(CategorizationDraft, company_id), CategorizationDraft, source)
        .add_columns(BankTransaction, BankAccount.name, Account.code, Account.name)
        .join(BankTransaction, BankTransaction.id == CategorizationDraft.bank_transaction_id)
        .join(BankAccount, BankAccount.id == BankTransaction.bank_account_id)
        .join(Account, Account.id == CategorizationDraft.account_id)
        .limit(limit)
    )
    items = []
    for draft, txn, bank_name, code, name in rows:
        hint_by = (
            "NewLedger, from past categorizations"
            if draft.hint_origin == "history"
            else (draft.source_label or "the proposer")
        )
        facts = [
            ("Bank line", f"{bank_name} · {txn.external_id} · {txn.status}"),
            ("Proposed account", f"{code} {name}"),
            (
                "Confidence",
                f"{round(float(draft.confidence) * 100)}%"
                if draft.confidence is not None
                else "not given",
            ),
            ("Evidence", draft.evidence or "none given"),
            ("Hint by", hint_by),
        ]
        items.append(
            ReviewItem(
                "categorization",
                draft.id,
                txn.description or f"Bank transaction {txn.external_id}",
                None,
                "",
                txn.date,
                txn.amount,
                txn.currency,
                facts=tuple(facts),
                **_proposal(draft),
            )
        )
    return items


def count_drafts_awaiting_review(
    session: Session, actor: Actor, *, company_id: int | None = None
) -> dict[str, int]:
    """Counts for the dashboard: ``{"invoice": n, "expense": n, "bill": n, "credit_note": n,
    "vendor_credit": n, "payment": n, "categorization": n, "external": n, "total": n}`` where
    ``external`` counts drafts from apps and connections."""
    kinds = _readable(actor)
    company = company_for(session, actor, company_id)
    counts = dict.fromkeys(
        ("invoice", "expense", "bill", "credit_note", "vendor_credit", "payment", "categorization"),
        0,
    )
    counts["external"] = 0
    queries: list[tuple[str, Any, Any]] = []
    if "invoice" in kinds:
        queries.append(("invoice", Invoice, None))
    if "expense" in kinds:
        queries.append(("expense", Expense, Expense.kind))  # counted by kind: expense | bill
    if "invoice" in kinds or "expense" in kinds:
        queries.append(("credit", CreditNote, CreditNote.kind))  # by kind: sales | purchase
    if "payment" in kinds:
        queries.append(("payment", PaymentDraft, None))
    if "categorization" in kinds:
        queries.append(("categorization", CategorizationDraft, None))
    for kind, model, by in queries:
        columns = (model.source,) if by is None else (by, model.source)
        rows = session.execute(
            select(*columns, func.count())
            .where(model.company_id == company.id, model.status == "draft")
            .group_by(*columns)
        )
        for *key, source, n in rows:
            name: str = key[0] if key else kind
            if model is CreditNote:
                name, needs = _CREDIT_TYPES[name]
                if needs not in kinds:
                    continue
            counts[name] = counts.get(name, 0) + n
            counts["external"] += n if source in ("api", "mcp") else 0
    counts["total"] = sum(n for name, n in counts.items() if name != "external")
    return counts
