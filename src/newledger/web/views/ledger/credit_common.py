"""What the credit-note pages need to know about each kind: a customer's credit note (under
Invoices' side, ``/credit-notes``) or a vendor credit (``/vendor-credits``), and the words and
paths that differ between them. The rules are the ledger's (``newledger.ledger.credit_kinds``).
"""

from __future__ import annotations

from dataclasses import dataclass

from newledger.identity.permissions import Permission
from newledger.ledger.models import CreditNote

__all__ = ["CREDIT_STATUSES", "PURCHASE", "SALES", "CreditPages", "credit_label", "pages_for"]

CREDIT_STATUSES = ("draft", "approved", "applied", "voided", "rejected")


@dataclass(frozen=True)
class CreditPages:
    kind: str  # the service's: sales | purchase
    path: str  # credit-notes | vendor-credits
    title: str  # Credit note | Vendor credit
    plural: str  # Credit notes | Vendor credits
    contact_label: str  # Customer | Vendor
    contact_kind: str  # customer | vendor: whom the form offers
    document_noun: str  # invoice | bill: what it is allocated to
    documents_path: str  # invoices | expenses: where those documents' pages are
    anchor: str  # credit-note | vendor-credit: ids in the review queue and the forms
    read: Permission
    draft: Permission

    @property
    def noun(self) -> str:
        return self.title.lower()


SALES = CreditPages(
    "sales",
    "credit-notes",
    "Credit note",
    "Credit notes",
    "Customer",
    "customer",
    "invoice",
    "invoices",
    "credit-note",
    Permission.INVOICES_READ,
    Permission.INVOICES_DRAFT,
)
PURCHASE = CreditPages(
    "purchase",
    "vendor-credits",
    "Vendor credit",
    "Vendor credits",
    "Vendor",
    "vendor",
    "bill",
    "expenses",
    "vendor-credit",
    Permission.EXPENSES_READ,
    Permission.EXPENSES_DRAFT,
)


def pages_for(note: CreditNote) -> CreditPages:
    return SALES if note.kind == "sales" else PURCHASE


def credit_label(note: CreditNote) -> str:
    """``Credit note CN-00001``, ``Vendor credit VC-00001``."""
    return f"{pages_for(note).title} {note.number}"
