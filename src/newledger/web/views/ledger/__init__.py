"""The ledger pages: dashboard, invoices, expenses (new drafts, their pages and what is done
from them), contacts, the bank's uncategorized transactions, the draft review queue, reports.

``router`` gathers them; ``web/app.py`` includes it with one line.
"""

from __future__ import annotations

from fastapi import APIRouter

from newledger.web.views.ledger import (
    attachments,
    bank,
    contacts,
    dashboard,
    document_actions,
    documents,
    draft_pages,
    reports,
    review,
)

__all__ = ["router"]

router = APIRouter()
# draft_pages first: its /invoices/new and /expenses/new come before documents' /invoices/{id}.
for _module in (
    dashboard,
    draft_pages,
    documents,
    document_actions,
    attachments,
    contacts,
    bank,
    review,
    reports,
):
    router.include_router(_module.router)
