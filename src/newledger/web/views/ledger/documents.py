"""Invoices and expenses: filtered lists and detail pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.contacts import ContactFilters
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.models import Contact, Payment
from newledger.ledger.payments import PaymentFilters, list_payments
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import choices, page_link_errors, page_request, pager
from newledger.web.templating import render
from newledger.web.views.ledger._common import (
    account_names,
    bank_names,
    contact_names,
    date_param,
    int_param,
)
from newledger.web.views.ledger.listing import EXPENSE_KINDS, EXPENSE_STATUSES, INVOICE_STATUSES

router = web_router()
_invoices = require_permission(Permission.INVOICES_READ)
_expenses = require_permission(Permission.EXPENSES_READ)
_FILTER_KEYS = ("status", "contact_id", "from", "to", "kind")


def _raw_filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "").strip() for k in _FILTER_KEYS}


def _common_filters(
    raw: Mapping[str, str], statuses: tuple[str, ...], errors: dict[str, str]
) -> tuple[str | None, int | None, dt.date | None, dt.date | None]:
    """Status, contact and date range, with a message per field that does not parse."""
    status = raw["status"] if raw["status"] in statuses else None
    if raw["status"] and status is None:
        errors["status"] = "Unknown status."
    contact_id = int_param(raw, "contact_id", errors)
    start, end = date_param(raw, "from", errors), date_param(raw, "to", errors)
    if start and end and start > end:
        errors["to"] = "The end date is before the start date."
    return status, contact_id, start, end


def _contacts(ctx: WebContext, kind: str) -> list[Contact]:
    """The customers or vendors a filter offers (none without ``contacts:read``)."""
    if not ctx.can(Permission.CONTACTS_READ):
        return []
    filters = ContactFilters(kind=kind)
    return list(contact_service.list_contacts(ctx.db, ctx.actor, filters, choices("name")).items)


def _payments(ctx: WebContext, filters: PaymentFilters) -> list[Payment]:
    if not ctx.can(Permission.PAYMENTS_READ):
        return []
    return list(list_payments(ctx.db, ctx.actor, filters, choices("newest")).items)


@router.get("/invoices")
def invoice_list(request: Request, ctx: WebContext = Depends(_invoices)) -> Response:
    raw, errors = _raw_filters(request), dict[str, str]()
    status, contact_id, start, end = _common_filters(raw, INVOICE_STATUSES, errors)
    filters = InvoiceFilters(
        status=status, contact_id=contact_id, issue_date_from=start, issue_date_to=end
    )
    asked = page_request(request, "newest")
    with page_link_errors():
        page = list_invoices(ctx.db, ctx.actor, filters, asked)
    return render(
        request,
        "ledger/invoices.html",
        ctx,
        status=422 if errors else 200,
        invoices=page.items,
        customers=_contacts(ctx, "customer"),
        statuses=INVOICE_STATUSES,
        filters=raw,
        errors=errors,
        pager=pager("/invoices", raw, asked, page),
    )


@router.get("/invoices/{invoice_id}")
def invoice_detail(
    request: Request, invoice_id: int, ctx: WebContext = Depends(_invoices)
) -> Response:
    assert ctx.company is not None
    invoice = invoice_service.get_invoice(ctx.db, ctx.actor, invoice_id)
    return render(
        request,
        "ledger/invoice.html",
        ctx,
        invoice=invoice,
        contact_name=contact_names(ctx.db, ctx.company.id, [invoice.contact_id]).get(
            invoice.contact_id, ""
        ),
        accounts=account_names(ctx.db, ctx.company.id),
        payments=_payments(ctx, PaymentFilters(invoice_id=invoice.id)),
        banks=bank_names(ctx.db, ctx.company.id),
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(Permission.INVOICES_DRAFT),
    )


@router.get("/expenses")
def expense_list(request: Request, ctx: WebContext = Depends(_expenses)) -> Response:
    raw, errors = _raw_filters(request), dict[str, str]()
    status, contact_id, start, end = _common_filters(raw, EXPENSE_STATUSES, errors)
    kind = raw["kind"] if raw["kind"] in EXPENSE_KINDS else None
    filters = ExpenseFilters(
        kind=kind, status=status, contact_id=contact_id, date_from=start, date_to=end
    )
    asked = page_request(request, "newest")
    with page_link_errors():
        page = list_expenses(ctx.db, ctx.actor, filters, asked)
    return render(
        request,
        "ledger/expenses.html",
        ctx,
        status=422 if errors else 200,
        expenses=page.items,
        vendors=_contacts(ctx, "vendor"),
        statuses=EXPENSE_STATUSES,
        kinds=EXPENSE_KINDS,
        filters=raw,
        errors=errors,
        pager=pager("/expenses", raw, asked, page),
    )


@router.get("/expenses/{expense_id}")
def expense_detail(
    request: Request, expense_id: int, ctx: WebContext = Depends(_expenses)
) -> Response:
    assert ctx.company is not None
    expense = expense_service.get_expense(ctx.db, ctx.actor, expense_id)
    return render(
        request,
        "ledger/expense.html",
        ctx,
        expense=expense,
        contact_name=contact_names(ctx.db, ctx.company.id, [expense.contact_id]).get(
            expense.contact_id or 0, ""
        ),
        accounts=account_names(ctx.db, ctx.company.id),
        banks=bank_names(ctx.db, ctx.company.id),
        payments=_payments(ctx, PaymentFilters(expense_id=expense.id)),
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(Permission.EXPENSES_DRAFT),
    )
