"""One router per resource; ``ROUTERS`` is the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from newledger.appconnect.api.resources import (
    accounts,
    attachments,
    bank,
    categorization,
    changes,
    contacts,
    expenses,
    invoices,
    journal,
    me,
    payments,
    reports,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    me.router,
    accounts.router,
    contacts.router,
    invoices.router,
    expenses.router,
    attachments.router,
    payments.router,
    bank.router,
    journal.router,
    reports.router,
    categorization.router,
    changes.router,
]
