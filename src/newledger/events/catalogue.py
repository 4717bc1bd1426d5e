"""What can change, as ``resource.action`` event types, and what a reader needs to see it.

One list serves the change feed (``types=invoice,contact``), the webhook endpoint form (the
event types to send) and the webhook payloads' ``type``.
"""

from __future__ import annotations

from enum import StrEnum

from newledger.identity.permissions import Permission

__all__ = ["DESCRIPTIONS", "READ_PERMISSION", "TOMBSTONES", "EventType", "resource_of"]


class EventType(StrEnum):
    INVOICE_DRAFTED = "invoice.drafted"
    INVOICE_UPDATED = "invoice.updated"
    INVOICE_DELETED = "invoice.deleted"
    INVOICE_APPROVED = "invoice.approved"
    INVOICE_REJECTED = "invoice.rejected"
    INVOICE_PARTIALLY_PAID = "invoice.partially_paid"
    INVOICE_PAID = "invoice.paid"
    INVOICE_VOIDED = "invoice.voided"
    INVOICE_ATTACHMENT_ADDED = "invoice.attachment_added"
    INVOICE_ATTACHMENT_DELETED = "invoice.attachment_deleted"
    EXPENSE_DRAFTED = "expense.drafted"
    EXPENSE_UPDATED = "expense.updated"
    EXPENSE_DELETED = "expense.deleted"
    EXPENSE_APPROVED = "expense.approved"
    EXPENSE_REJECTED = "expense.rejected"
    EXPENSE_PARTIALLY_PAID = "expense.partially_paid"
    EXPENSE_PAID = "expense.paid"
    EXPENSE_VOIDED = "expense.voided"
    EXPENSE_ATTACHMENT_ADDED = "expense.attachment_added"
    EXPENSE_ATTACHMENT_DELETED = "expense.attachment_deleted"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    INVOICE_CREDITED = "invoice.credited"
    EXPENSE_CREDITED = "expense.credited"
    CREDIT_NOTE_DRAFTED = "credit_note.drafted"
    CREDIT_NOTE_UPDATED = "credit_note.updated"
    CREDIT_NOTE_DELETED = "credit_note.deleted"
    CREDIT_NOTE_APPROVED = "credit_note.approved"
    CREDIT_NOTE_REJECTED = "credit_note.rejected"
    CREDIT_NOTE_VOIDED = "credit_note.voided"
    CREDIT_NOTE_ALLOCATED = "credit_note.allocated"
    CREDIT_NOTE_REFUNDED = "credit_note.refunded"
    VENDOR_CREDIT_DRAFTED = "vendor_credit.drafted"
    VENDOR_CREDIT_UPDATED = "vendor_credit.updated"
    VENDOR_CREDIT_DELETED = "vendor_credit.deleted"
    VENDOR_CREDIT_APPROVED = "vendor_credit.approved"
    VENDOR_CREDIT_REJECTED = "vendor_credit.rejected"
    VENDOR_CREDIT_VOIDED = "vendor_credit.voided"
    VENDOR_CREDIT_ALLOCATED = "vendor_credit.allocated"
    VENDOR_CREDIT_REFUNDED = "vendor_credit.refunded"
    PAYMENT_RECORDED = "payment.recorded"
    PAYMENT_DRAFT_CREATED = "payment_draft.created"
    PAYMENT_DRAFT_DELETED = "payment_draft.deleted"
    PAYMENT_DRAFT_APPROVED = "payment_draft.approved"
    PAYMENT_DRAFT_REJECTED = "payment_draft.rejected"
    CATEGORIZATION_DRAFT_CREATED = "categorization_draft.created"
    CATEGORIZATION_DRAFT_DELETED = "categorization_draft.deleted"
    CATEGORIZATION_DRAFT_APPROVED = "categorization_draft.approved"
    CATEGORIZATION_DRAFT_REJECTED = "categorization_draft.rejected"
    BANK_TRANSACTION_CATEGORIZED = "bank_transaction.categorized"
    BANK_TRANSACTION_MATCHED = "bank_transaction.matched"
    TAX_RATE_CREATED = "tax_rate.created"
    TAX_RATE_UPDATED = "tax_rate.updated"
    TAX_RATE_ARCHIVED = "tax_rate.archived"
    ITEM_CREATED = "item.created"
    ITEM_UPDATED = "item.updated"
    ITEM_ARCHIVED = "item.archived"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.INVOICE_DRAFTED: "An invoice draft was created",
    EventType.INVOICE_UPDATED: "An invoice draft was edited",
    EventType.INVOICE_DELETED: "An invoice draft was deleted",
    EventType.INVOICE_APPROVED: "An invoice draft was approved and posted",
    EventType.INVOICE_REJECTED: "An invoice draft was rejected",
    EventType.INVOICE_PARTIALLY_PAID: "Part of an invoice was paid",
    EventType.INVOICE_PAID: "An invoice was paid in full",
    EventType.INVOICE_VOIDED: "An invoice was voided",
    EventType.INVOICE_ATTACHMENT_ADDED: "A file was attached to an invoice",
    EventType.INVOICE_ATTACHMENT_DELETED: "A file was removed from an invoice",
    EventType.EXPENSE_DRAFTED: "An expense or bill draft was created",
    EventType.EXPENSE_UPDATED: "An expense or bill draft was edited",
    EventType.EXPENSE_DELETED: "An expense or bill draft was deleted",
    EventType.EXPENSE_APPROVED: "An expense or bill draft was approved and posted",
    EventType.EXPENSE_REJECTED: "An expense or bill draft was rejected",
    EventType.EXPENSE_PARTIALLY_PAID: "Part of a bill was paid",
    EventType.EXPENSE_PAID: "A bill was paid in full",
    EventType.EXPENSE_VOIDED: "An expense or bill was voided",
    EventType.EXPENSE_ATTACHMENT_ADDED: "A file (a receipt) was attached to an expense or bill",
    EventType.EXPENSE_ATTACHMENT_DELETED: "A file was removed from an expense or bill",
    EventType.CONTACT_CREATED: "A contact was created",
    EventType.CONTACT_UPDATED: "A contact was changed",
    EventType.INVOICE_CREDITED: "A credit note was applied to an invoice (or taken off it)",
    EventType.EXPENSE_CREDITED: "A vendor credit was applied to a bill (or taken off it)",
    EventType.CREDIT_NOTE_DRAFTED: "A credit note draft was created",
    EventType.CREDIT_NOTE_UPDATED: "A credit note draft was edited",
    EventType.CREDIT_NOTE_DELETED: "A credit note draft was deleted",
    EventType.CREDIT_NOTE_APPROVED: "A credit note was approved and posted",
    EventType.CREDIT_NOTE_REJECTED: "A credit note draft was rejected",
    EventType.CREDIT_NOTE_VOIDED: "A credit note was voided",
    EventType.CREDIT_NOTE_ALLOCATED: "A credit note's allocations changed",
    EventType.CREDIT_NOTE_REFUNDED: "Part of a credit note was refunded",
    EventType.VENDOR_CREDIT_DRAFTED: "A vendor credit draft was created",
    EventType.VENDOR_CREDIT_UPDATED: "A vendor credit draft was edited",
    EventType.VENDOR_CREDIT_DELETED: "A vendor credit draft was deleted",
    EventType.VENDOR_CREDIT_APPROVED: "A vendor credit was approved and posted",
    EventType.VENDOR_CREDIT_REJECTED: "A vendor credit draft was rejected",
    EventType.VENDOR_CREDIT_VOIDED: "A vendor credit was voided",
    EventType.VENDOR_CREDIT_ALLOCATED: "A vendor credit's allocations changed",
    EventType.VENDOR_CREDIT_REFUNDED: "Part of a vendor credit was refunded",
    EventType.PAYMENT_RECORDED: "A payment was recorded",
    EventType.PAYMENT_DRAFT_CREATED: "A payment was proposed for review",
    EventType.PAYMENT_DRAFT_DELETED: "A proposed payment was withdrawn",
    EventType.PAYMENT_DRAFT_APPROVED: "A proposed payment was approved and recorded",
    EventType.PAYMENT_DRAFT_REJECTED: "A proposed payment was rejected",
    EventType.CATEGORIZATION_DRAFT_CREATED: "A bank transaction's category was proposed",
    EventType.CATEGORIZATION_DRAFT_DELETED: "A proposed categorization was withdrawn",
    EventType.CATEGORIZATION_DRAFT_APPROVED: "A proposed categorization was approved and posted",
    EventType.CATEGORIZATION_DRAFT_REJECTED: "A proposed categorization was rejected",
    EventType.BANK_TRANSACTION_CATEGORIZED: "A bank transaction was categorized and posted",
    EventType.BANK_TRANSACTION_MATCHED: "A bank transaction was matched to a payment",
    EventType.TAX_RATE_CREATED: "A tax rate was created",
    EventType.TAX_RATE_UPDATED: "A tax rate was changed",
    EventType.TAX_RATE_ARCHIVED: "A tax rate was archived",
    EventType.ITEM_CREATED: "An item (product or service) was created",
    EventType.ITEM_UPDATED: "An item was changed",
    EventType.ITEM_ARCHIVED: "An item was archived",
}

# The permission that reads a resource: the feed shows, and webhooks send, only those types.
READ_PERMISSION: dict[str, Permission] = {
    "invoice": Permission.INVOICES_READ,
    "expense": Permission.EXPENSES_READ,
    "contact": Permission.CONTACTS_READ,
    "payment": Permission.PAYMENTS_READ,
    "credit_note": Permission.INVOICES_READ,
    "vendor_credit": Permission.EXPENSES_READ,
    "payment_draft": Permission.PAYMENTS_READ,
    "bank_transaction": Permission.BANK_READ,
    "categorization_draft": Permission.BANK_READ,
    "tax_rate": Permission.ACCOUNTS_READ,
    "item": Permission.ACCOUNTS_READ,
}

# After these the record is gone: the feed marks them ``deleted`` so a sync client drops it.
TOMBSTONES = frozenset(
    {
        EventType.INVOICE_DELETED,
        EventType.EXPENSE_DELETED,
        EventType.CREDIT_NOTE_DELETED,
        EventType.VENDOR_CREDIT_DELETED,
        EventType.PAYMENT_DRAFT_DELETED,
        EventType.CATEGORIZATION_DRAFT_DELETED,
    }
)


def resource_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]
