"""Invoices (accounts receivable): draft → approved → partially_paid → paid; draft → rejected;
approved → voided.

Drafts may come from people, API credential apps or OAuth connections (``invoices:draft``);
only a person holding ``ledger:post`` approves, and approval is what posts to the ledger:
Dr accounts receivable (the contact) for the total, Cr each line's income account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from newledger.actor import Actor
from newledger.attachments.services import INVOICE, remove_document_attachments
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    load_contact,
    parse_date,
    require_draft,
    require_poster,
    source_fields,
)
from newledger.ledger._lifecycle import mark_approved, mark_rejected, post_void, void_note
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.invoice_lines import (
    build_invoice_lines,
    insert_numbered,
    invoice_dict,
    invoice_line_input,
)
from newledger.ledger.models import Invoice, InvoiceLine
from newledger.ledger.posting import LineSpec, post_entry
from newledger.ledger.tax import DocumentTax
from newledger.ledger.tax_rates import parse_tax_mode, tax_postings
from newledger.money import format_minor, validate_currency

__all__ = [
    "approve_invoice",
    "create_draft_invoice",
    "delete_draft_invoice",
    "get_invoice",
    "invoice_dict",
    "invoice_version",
    "reject_invoice",
    "update_draft_invoice",
    "void_invoice",
    "void_note",
]

CUSTOMER_KINDS = ("customer", "both")
_EDITABLE = frozenset(
    {"contact_id", "issue_date", "due_date", "currency", "memo", "lines", "tax_mode"}
)


def create_draft_invoice(
    session: Session,
    actor: Actor,
    *,
    contact_id: int,
    issue_date: dt.date | str,
    lines: list[dict[str, Any]],
    due_date: dt.date | str | None = None,
    currency: str | None = None,
    memo: str = "",
    tax_mode: str | None = None,
    company_id: int | None = None,
) -> Invoice:
    """Create a draft invoice numbered ``INV-00001``, ``INV-00002``… per company.

    ``lines``: ``[{"description": str, "quantity": "2", "unit_price": "49.50",
    "account_id": int, "tax_rate_id": int}]`` (decimal strings; ``quantity`` defaults to 1;
    ``account_id`` defaults to the contact's income account, else 4000 Sales; no
    ``tax_rate_id``, no tax). ``tax_mode``: ``exclusive`` (default: prices are net) or
    ``inclusive`` (prices include the tax). ``due_date`` defaults to the issue date
    plus the contact's payment terms; ``currency`` to the company's home currency. The source
    (ui / api / mcp) comes from the actor. Needs ``invoices:draft``.
    """
    actor.require(Permission.INVOICES_DRAFT)
    company = company_for(session, actor, company_id)
    contact = load_contact(session, company.id, contact_id, kinds=CUSTOMER_KINDS)
    issue = parse_date(issue_date, "issue_date")
    due = (
        parse_date(due_date, "due_date")
        if due_date is not None
        else issue + dt.timedelta(days=contact.payment_terms_days)
    )
    if due < issue:
        raise ValidationFailed("Due date is before the issue date", errors={"due_date": "early"})
    cur = validate_currency(currency or company.home_currency)
    mode = parse_tax_mode(tax_mode)
    built, figures = build_invoice_lines(session, company, contact, cur, lines, mode)

    def build(number: str) -> Invoice:
        return Invoice(
            company_id=company.id,
            number=number,
            contact_id=contact.id,
            issue_date=issue,
            due_date=due,
            currency=cur,
            status="draft",
            tax_mode=mode,
            subtotal=figures.subtotal,
            tax_total=figures.tax_total,
            total=figures.total,
            amount_paid=0,
            memo=(memo or "")[:5000],
            version=1,
            created_by_user_id=actor.user_id,
            lines=[InvoiceLine(**values) for values in built],
            **source_fields(actor),
        )

    invoice = insert_numbered(session, company.id, build)
    record(
        session,
        Event.INVOICE_DRAFTED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={
            "number": invoice.number,
            "total": format_minor(invoice.total, cur),
            "currency": cur,
        },
    )
    emit(session, company.id, EventType.INVOICE_DRAFTED, invoice.id)
    return invoice


def _load(session: Session, company_id: int, invoice_id: int, *, lock: bool = False) -> Invoice:
    return company_row(
        session, Invoice, company_id, invoice_id, lock=lock, options=[selectinload(Invoice.lines)]
    )


def update_draft_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Invoice:
    """Edit a draft: any of contact_id, issue_date, due_date, currency, memo, lines (``lines``
    replaces every line). A stale ``expected_version`` raises ``Conflict("version_mismatch")``;
    a non-draft raises ``InvalidState``. Needs ``invoices:draft``."""
    actor.require(Permission.INVOICES_DRAFT)
    company = company_for(session, actor, company_id)
    invoice = _load(session, company.id, invoice_id, lock=True)
    require_draft(invoice, "invoice")
    check_version(invoice, expected_version)
    unknown = sorted(set(changes) - _EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change {', '.join(unknown)}", errors={k: "not editable" for k in unknown}
        )
    contact = load_contact(
        session, company.id, changes.get("contact_id", invoice.contact_id), kinds=CUSTOMER_KINDS
    )
    issue = parse_date(changes.get("issue_date", invoice.issue_date), "issue_date")
    due = parse_date(changes.get("due_date", invoice.due_date), "due_date")
    if due < issue:
        raise ValidationFailed("Due date is before the issue date", errors={"due_date": "early"})
    cur = validate_currency(changes.get("currency") or invoice.currency)
    mode = parse_tax_mode(changes.get("tax_mode") or invoice.tax_mode)
    built: tuple[list[dict[str, Any]], DocumentTax] | None = None
    if "lines" in changes:
        built = build_invoice_lines(session, company, contact, cur, changes["lines"], mode)
    elif cur != invoice.currency or mode != invoice.tax_mode:
        # Unit prices are minor units of the old currency, and tax follows the mode:
        # re-validate the lines as they stand.
        built = build_invoice_lines(
            session,
            company,
            contact,
            cur,
            [invoice_line_input(line, invoice.currency) for line in invoice.lines],
            mode,
        )
    invoice.contact_id, invoice.issue_date, invoice.due_date = contact.id, issue, due
    invoice.currency = cur
    if "memo" in changes:
        invoice.memo = str(changes["memo"] or "")[:5000]
    if built is not None:
        new_lines, figures = built
        invoice.lines = [InvoiceLine(**values) for values in new_lines]
        invoice.subtotal, invoice.tax_total = figures.subtotal, figures.tax_total
        invoice.total = figures.total
    invoice.tax_mode = mode
    invoice.version += 1
    flush_versioned(session, "invoice")
    record(
        session,
        Event.INVOICE_UPDATED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={"number": invoice.number, "changed": sorted(changes), "version": invoice.version},
    )
    emit(session, company.id, EventType.INVOICE_UPDATED, invoice.id)
    return invoice


def delete_draft_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> None:
    """Delete a draft (with its lines and attached files). Needs ``invoices:draft``."""
    actor.require(Permission.INVOICES_DRAFT)
    company = company_for(session, actor, company_id)
    invoice = _load(session, company.id, invoice_id, lock=True)
    require_draft(invoice, "invoice")
    check_version(invoice, expected_version)
    # Its files go with it (each once the deletion commits).
    files = remove_document_attachments(session, INVOICE, company.id, invoice.id)
    record(
        session,
        Event.INVOICE_DELETED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={
            "number": invoice.number,
            "total": format_minor(invoice.total, invoice.currency),
            "attachments": files,
        },
    )
    session.delete(invoice)
    flush_versioned(session, "invoice")
    emit(session, company.id, EventType.INVOICE_DELETED, invoice_id)


def approve_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Invoice:
    """Approve a draft and post it: Dr AR (contact) total / Cr each line's income account its
    net / Cr each tax rate's account its tax, on the issue date. Needs ``ledger:post``; apps
    and connections can never approve."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    invoice = _load(session, company.id, invoice_id, lock=True)
    if invoice.status != "draft":
        raise InvalidState(
            f"Invoice {invoice.number} is {invoice.status}, not a draft awaiting approval",
            code="not_a_draft",
        )
    check_version(invoice, expected_version)
    contact = load_contact(session, company.id, invoice.contact_id, kinds=CUSTOMER_KINDS)
    ar = account_by_subtype(session, company.id, "accounts_receivable")
    specs = [LineSpec(ar.id, invoice.total, invoice.currency, contact.id, invoice.number)]
    net = invoice.tax_mode == "inclusive"
    specs += [
        LineSpec(
            line.account_id,
            -(line.amount - line.tax_amount if net else line.amount),
            invoice.currency,
            contact.id,
            line.description,
        )
        for line in invoice.lines
        if (line.amount - line.tax_amount if net else line.amount) != 0
    ]
    specs += [
        LineSpec(account_id, -tax, invoice.currency, contact.id, label)
        for account_id, tax, label in tax_postings(session, company.id, invoice.lines)
    ]
    entry = post_entry(
        session,
        company_id=company.id,
        date=invoice.issue_date,
        lines=specs,
        source_type="invoice",
        source_id=invoice.id,
        memo=f"Invoice {invoice.number} · {contact.name}",
        posted_by_user_id=actor.user_id,
    )
    mark_approved(invoice, entry, actor)
    flush_versioned(session, "invoice")
    record(
        session,
        Event.INVOICE_APPROVED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={
            "number": invoice.number,
            "total": format_minor(invoice.total, invoice.currency),
            "currency": invoice.currency,
            "journal_entry_id": entry.id,
            "draft_source": invoice.source,
        },
    )
    emit(session, company.id, EventType.INVOICE_APPROVED, invoice.id)
    return invoice


def reject_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    reason: str,
    company_id: int | None = None,
) -> Invoice:
    """Reject a draft in review, with a reason (kept for whoever drafted it). Needs
    ``ledger:post`` (reviewing is a person's job)."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    invoice = _load(session, company.id, invoice_id, lock=True)
    reason = mark_rejected(invoice, reason)
    flush_versioned(session, "invoice")
    record(
        session,
        Event.INVOICE_REJECTED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={"number": invoice.number, "reason": reason[:200]},
    )
    emit(session, company.id, EventType.INVOICE_REJECTED, invoice.id)
    return invoice


def void_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    date: dt.date | str | None = None,
    reason: str = "",
    company_id: int | None = None,
) -> Invoice:
    """Void an approved, unpaid invoice with a reversing entry (dated ``date``, default the
    original entry's date, so the invoice leaves every report). Refused (``InvalidState``) for
    drafts and for invoices with payments. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    invoice = _load(session, company.id, invoice_id, lock=True)
    entry = post_void(session, invoice, actor, date=date, reason=reason)
    flush_versioned(session, "invoice")
    record(
        session,
        Event.INVOICE_VOIDED,
        actor,
        subject_type="invoice",
        subject_id=invoice.id,
        details={"number": invoice.number, "reason": reason[:200], "journal_entry_id": entry.id},
    )
    emit(session, company.id, EventType.INVOICE_VOIDED, invoice.id)
    return invoice


def get_invoice(
    session: Session, actor: Actor, invoice_id: int, *, company_id: int | None = None
) -> Invoice:
    """One invoice with its lines. Needs ``invoices:read``."""
    actor.require(Permission.INVOICES_READ)
    company = company_for(session, actor, company_id)
    return _load(session, company.id, invoice_id)


def invoice_version(
    session: Session, actor: Actor, invoice_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of one of the company's invoices (``None``: no such invoice), which
    a draft update or delete compares with ``If-Match``. Needs ``invoices:draft``."""
    actor.require(Permission.INVOICES_DRAFT)
    return session.scalar(
        select(Invoice.version).where(
            Invoice.company_id == actor.company_scope(company_id), Invoice.id == invoice_id
        )
    )
