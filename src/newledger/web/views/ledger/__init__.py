"""The ledger pages: dashboard, invoices, expenses, credit notes and vendor credits (new drafts,
their pages and what is done from them), contacts, the bank's uncategorized transactions, the
draft review queue, reports.

``router`` gathers them; ``web/app.py`` includes it with one line.
"""

from __future__ import annotations

from fastapi import APIRouter

from newledger.web.views.ledger import (
    attachments,
    bank,
    contacts,
    credit_actions,
    credit_drafts,
    credit_notes,
    dashboard,
    document_actions,
    documents,
    draft_pages,
    reports,
    review,
)

__all__ = ["router"]

router = APIRouter()
# The draft forms first: /invoices/new, /credit-notes/new … come before /invoices/{id} ….
for _module in (
    dashboard,
    draft_pages,
    credit_drafts,
    documents,
    document_actions,
    credit_notes,
    credit_actions,
    attachments,
    contacts,
    bank,
    review,
    reports,
):
    router.include_router(_module.router)
