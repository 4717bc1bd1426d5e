"""The review and void steps shared by invoices and expenses (bills included)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.db import utcnow
from newledger.errors import InvalidState, ValidationFailed
from newledger.ledger._common import parse_date, require_draft
from newledger.ledger.credit_kinds import credit_kind
from newledger.ledger.models import (
    CategorizationDraft,
    CreditNote,
    Expense,
    Invoice,
    JournalEntry,
    Payment,
    PaymentDraft,
)
from newledger.ledger.posting import reverse_entry

__all__ = [
    "VoidNote",
    "mark_approved",
    "mark_proposal_approved",
    "mark_rejected",
    "post_void",
    "void_note",
]

Document = Invoice | Expense | CreditNote
# A proposal in the review queue: it is decided, never posted itself.
Proposal = PaymentDraft | CategorizationDraft


def _label(document: Document) -> str:
    if isinstance(document, Invoice):
        return f"invoice {document.number}"
    if isinstance(document, CreditNote):
        return f"{credit_kind(document.kind).noun} {document.number}"
    return f"{document.kind} #{document.id}"


def mark_approved(document: Document, entry: JournalEntry, actor: Actor) -> None:
    document.status = "approved"
    document.journal_entry_id = entry.id
    document.approved_by_user_id = actor.user_id
    document.approved_at = utcnow()
    document.version += 1


def mark_proposal_approved(proposal: Proposal, actor: Actor) -> None:
    proposal.status = "approved"
    proposal.approved_by_user_id = actor.user_id
    proposal.approved_at = utcnow()
    proposal.version += 1


def mark_rejected(document: Document | Proposal, reason: str, what: str | None = None) -> str:
    """Reject a draft in review; the reason is required and kept for whoever drafted it.
    ``what`` names it in a refusal (default: the model's name, ``invoice`` / ``expense``)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the draft is rejected", errors={"reason": "required"})
    require_draft(document, what or type(document).__name__.lower())
    document.status = "rejected"
    document.rejected_reason = reason[:2000]
    document.version += 1
    return reason


def post_void(
    session: Session,
    document: Document,
    actor: Actor,
    *,
    date: dt.date | str | None,
    reason: str,
) -> JournalEntry:
    """Reverse an approved document's entry (dated ``date``, default the original's date, so the
    document leaves every report) and mark it voided. Refused for documents with payments,
    which must be dealt with first, and for documents that were never posted."""
    column = {Invoice: Payment.invoice_id, Expense: Payment.expense_id}.get(
        type(document), Payment.credit_note_id
    )
    has_payments = session.scalar(
        select(Payment.id)
        .where(Payment.company_id == document.company_id, column == document.id)
        .limit(1)
    )
    label = _label(document)
    if has_payments is not None:
        raise InvalidState(
            f"The {label} has payments recorded against it, so it cannot be voided",
            code="has_payments",
        )
    if not isinstance(document, CreditNote) and document.amount_credited:
        raise InvalidState(
            f"The {label} has credit applied to it; take the allocations back before voiding it",
            code="has_credits",
        )
    if document.status not in ("approved", "paid") or document.journal_entry_id is None:
        hint = " (delete or reject the draft instead)" if document.status == "draft" else ""
        raise InvalidState(
            f"Only approved documents can be voided; the {label} is {document.status}{hint}",
            code="not_approved",
        )
    original = session.get(JournalEntry, document.journal_entry_id)
    if original is None or original.company_id != document.company_id:
        raise InvalidState(f"The {label} has no posted entry to reverse", code="not_approved")
    day = parse_date(date, "date") if date is not None else original.date
    entry = reverse_entry(
        session,
        original,
        date=day,
        memo=_void_prefix(label) + (f"{_REASON_SEP}{reason}" if reason else ""),
        posted_by_user_id=actor.user_id,
    )
    document.status = "voided"
    document.void_entry_id = entry.id
    document.version += 1
    return entry


# The reversing entry's memo names the document and carries the reason: "Void invoice
# INV-00001: Customer cancelled the order". ``void_note`` reads the reason back from it.
_REASON_SEP = ": "


def _void_prefix(label: str) -> str:
    return f"Void {label}"


@dataclass(frozen=True, slots=True)
class VoidNote:
    """When a voided document was reversed, and why (empty when no reason was given)."""

    date: dt.date
    reason: str


def void_note(session: Session, document: Document) -> VoidNote | None:
    """The void of ``document`` (``None`` unless it is voided): its reversing entry's date and
    the reason given, as the entry's memo keeps it."""
    if document.void_entry_id is None:
        return None
    entry = session.get(JournalEntry, document.void_entry_id)
    if entry is None or entry.company_id != document.company_id:
        return None
    prefix = _void_prefix(_label(document)) + _REASON_SEP
    reason = entry.memo[len(prefix) :] if entry.memo.startswith(prefix) else ""
    return VoidNote(entry.date, reason)
