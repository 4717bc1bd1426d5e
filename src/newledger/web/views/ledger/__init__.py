"""The ledger pages: dashboard, invoices, expenses, contacts, the draft review queue, reports.

``router`` gathers them; ``web/app.py`` includes it with one line.
"""

from __future__ import annotations

from fastapi import APIRouter

from newledger.web.views.ledger import (
    attachments,
    contacts,
    dashboard,
    documents,
    reports,
    review,
)

__all__ = ["router"]

router = APIRouter()
for _module in (dashboard, documents, attachments, contacts, review, reports):
    router.include_router(_module.router)
