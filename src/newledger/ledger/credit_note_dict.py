"""Credit notes and vendor credits as JSON-ready data: amounts as decimal strings in the note's
currency, dates ISO 8601, as ``invoice_dict`` gives invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from newledger.ledger.models import CreditNote
from newledger.money import format_minor

__all__ = ["credit_note_dict", "credit_note_summary"]


def credit_note_dict(note: CreditNote) -> dict[str, Any]:
    """A credit note with its lines, its allocations (``proposed`` on a draft, ``applied``
    once approved) and what is left of it (``remaining`` = total - allocated - refunded)."""
    cur = note.currency
    return {
        "id": note.id,
        "kind": note.kind,
        "number": note.number,
        "contact_id": note.contact_id,
        "date": note.date.isoformat(),
        "currency": cur,
        "status": note.status,
        "tax_mode": note.tax_mode,
        "subtotal": format_minor(note.subtotal, cur),
        "tax_total": format_minor(note.tax_total, cur),
        "total": format_minor(note.total, cur),
        "amount_allocated": format_minor(note.amount_allocated, cur),
        "amount_refunded": format_minor(note.amount_refunded, cur),
        "remaining": format_minor(note.remaining, cur),
        "reference": note.reference,
        "memo": note.memo,
        "version": note.version,
        "source": note.source,
        "source_label": note.source_label,
        "journal_entry_id": note.journal_entry_id,
        "void_entry_id": note.void_entry_id,
        "rejected_reason": note.rejected_reason,
        "lines": [
            {
                "description": line.description,
                "quantity": format(Decimal(line.quantity).normalize(), "f"),
                "unit_price": format_minor(line.unit_price, cur),
                "amount": format_minor(line.amount, cur),
                "account_id": line.account_id,
                "tax_rate_id": line.tax_rate_id,
                "tax_amount": format_minor(line.tax_amount, cur),
                "item_id": line.item_id,
            }
            for line in note.lines
        ],
        "allocations": [
            {
                "id": allocation.id,
                "invoice_id": allocation.invoice_id,
                "expense_id": allocation.expense_id,
                "amount": format_minor(allocation.amount, cur),
                "date": allocation.date.isoformat(),
                "status": allocation.status,
            }
            for allocation in note.allocations
        ],
    }


def credit_note_summary(note: CreditNote) -> dict[str, Any]:
    """A list's row: no lines or allocations; the contact's name and the timestamps (the
    list loads ``contact`` with the page)."""
    cur = note.currency
    return {
        "id": note.id,
        "kind": note.kind,
        "number": note.number,
        "contact_id": note.contact_id,
        "contact_name": note.contact.name,
        "date": note.date.isoformat(),
        "currency": cur,
        "status": note.status,
        "total": format_minor(note.total, cur),
        "amount_allocated": format_minor(note.amount_allocated, cur),
        "amount_refunded": format_minor(note.amount_refunded, cur),
        "remaining": format_minor(note.remaining, cur),
        "reference": note.reference,
        "memo": note.memo,
        "version": note.version,
        "source": note.source,
        "source_label": note.source_label,
        "journal_entry_id": note.journal_entry_id,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }
