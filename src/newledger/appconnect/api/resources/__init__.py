"""One router per resource; ``ROUTERS`` is the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from newledger.appconnect.api.resources import (
    accounts,
    attachments,
    bank,
    categorization,
    categorization_drafts,
    changes,
    contacts,
    credit_notes,
    expenses,
    invoices,
    items,
    journal,
    me,
    payment_drafts,
    payments,
    reports,
    tax_rates,
    vendor_credits,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    me.router,
    accounts.router,
    tax_rates.router,
    items.router,
    contacts.router,
    invoices.router,
    expenses.router,
    credit_notes.router,
    vendor_credits.router,
    attachments.router,
    payments.router,
    payment_drafts.router,
    bank.router,
    journal.router,
    reports.router,
    categorization.router,
    categorization_drafts.router,
    changes.router,
]
