"""The two kinds of credit note and what differs between them: a customer's credit note
(``sales``, against receivables and invoices) and a vendor credit (``purchase``, against
payables and bills). Everything else about them is shared."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from newledger.errors import ValidationFailed
from newledger.events.catalogue import EventType
from newledger.identity.permissions import Permission
from newledger.ledger.models import CreditAllocation, Expense, Invoice

__all__ = ["KINDS", "CreditKind", "credit_kind"]

KINDS = ("sales", "purchase")


@dataclass(frozen=True)
class CreditKind:
    kind: str  # sales | purchase
    resource: str  # credit_note | vendor_credit: its name in REST, events and errors
    noun: str  # "credit note" | "vendor credit"
    prefix: str  # its numbers: CN-00001 | VC-00001
    side: str  # the lines' accounts: income | expense
    contacts: Collection[str]  # the contact kinds it may name
    control: str  # the control account's subtype it takes down
    read: Permission
    draft: Permission
    document: type[Invoice] | type[Expense]  # what it is allocated to
    document_noun: str  # invoice | bill
    document_fk: Any  # CreditAllocation's column naming that document
    credited: EventType  # the event of a document whose credits changed

    @property
    def title(self) -> str:
        return self.noun.capitalize()

    @property
    def events(self) -> dict[str, EventType]:
        """``drafted`` → ``credit_note.drafted`` (or ``vendor_credit.drafted``), and so on."""
        return {
            action: EventType(f"{self.resource}.{action}")
            for action in (
                "drafted",
                "updated",
                "deleted",
                "approved",
                "rejected",
                "voided",
                "allocated",
                "refunded",
            )
        }


_KINDS = {
    "sales": CreditKind(
        "sales",
        "credit_note",
        "credit note",
        "CN-",
        "income",
        ("customer", "both"),
        "accounts_receivable",
        Permission.INVOICES_READ,
        Permission.INVOICES_DRAFT,
        Invoice,
        "invoice",
        CreditAllocation.invoice_id,
        EventType.INVOICE_CREDITED,
    ),
    "purchase": CreditKind(
        "purchase",
        "vendor_credit",
        "vendor credit",
        "VC-",
        "expense",
        ("vendor", "both"),
        "accounts_payable",
        Permission.EXPENSES_READ,
        Permission.EXPENSES_DRAFT,
        Expense,
        "bill",
        CreditAllocation.expense_id,
        EventType.EXPENSE_CREDITED,
    ),
}


def credit_kind(kind: Any) -> CreditKind:
    if kind not in _KINDS:
        raise ValidationFailed("kind is sales or purchase", errors={"kind": "sales or purchase"})
    return _KINDS[kind]
