"""Invoices and expenses: filtered lists and detail pages."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.models import Payment
from newledger.ledger.payments import list_payments
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import (
    PER_PAGE,
    account_names,
    bank_names,
    contact_names,
    date_param,
    int_param,
    page_number,
    pager,
)
from newledger.web.views.ledger.listing import (
    EXPENSE_KINDS,
    EXPENSE_STATUSES,
    INVOICE_STATUSES,
    DocumentFilter,
    filter_expenses,
    filter_invoices,
)

router = web_router()
_invoices = require_permission(Permission.INVOICES_READ)
_expenses = require_permission(Permission.EXPENSES_READ)
_FILTER_KEYS = ("status", "contact_id", "from", "to", "kind")


def _filters(
    request: Request, statuses: tuple[str, ...]
) -> tuple[DocumentFilter, dict[str, str], dict[str, str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip() for k in _FILTER_KEYS}
    errors: dict[str, str] = {}
    status = raw["status"] if raw["status"] in statuses else None
    if raw["status"] and status is None:
        errors["status"] = "Unknown status."
    kind = raw["kind"] if raw["kind"] in EXPENSE_KINDS else None
    flt = DocumentFilter(
        status=status,
        contact_id=int_param(raw, "contact_id", errors),
        date_from=date_param(raw, "from", errors),
        date_to=date_param(raw, "to", errors),
        kind=kind,
    )
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        errors["to"] = "The end date is before the start date."
    return flt, raw, errors


def _payments(
    ctx: WebContext, *, invoice_id: int | None = None, expense_id: int | None = None
) -> list[Payment]:
    if not ctx.can(Permission.PAYMENTS_READ):
        return []
    return list_payments(ctx.db, ctx.actor, invoice_id=invoice_id, expense_id=expense_id)


@router.get("/invoices")
def invoice_list(request: Request, ctx: WebContext = Depends(_invoices)) -> Response:
    assert ctx.company is not None
    flt, raw, errors = _filters(request, INVOICE_STATUSES)
    page = page_number(request)
    rows, has_next = filter_invoices(
        ctx.db, ctx.actor, flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    customers = (
        contact_service.list_contacts(ctx.db, ctx.actor, kind="customer", limit=500)
        if ctx.can(Permission.CONTACTS_READ)
        else []
    )
    return render(
        request,
        "ledger/invoices.html",
        ctx,
        status=422 if errors else 200,
        invoices=rows,
        names=contact_names(ctx.db, ctx.company.id, (i.contact_id for i in rows)),
        customers=customers,
        statuses=INVOICE_STATUSES,
        filters=raw,
        errors=errors,
        pager=pager(page, "/invoices", raw, has_next),
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
        payments=_payments(ctx, invoice_id=invoice.id),
        banks=bank_names(ctx.db, ctx.company.id),
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(Permission.INVOICES_DRAFT),
    )


@router.get("/expenses")
def expense_list(request: Request, ctx: WebContext = Depends(_expenses)) -> Response:
    assert ctx.company is not None
    flt, raw, errors = _filters(request, EXPENSE_STATUSES)
    page = page_number(request)
    rows, has_next = filter_expenses(
        ctx.db, ctx.actor, flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    vendors = (
        contact_service.list_contacts(ctx.db, ctx.actor, kind="vendor", limit=500)
        if ctx.can(Permission.CONTACTS_READ)
        else []
    )
    return render(
        request,
        "ledger/expenses.html",
        ctx,
        status=422 if errors else 200,
        expenses=rows,
        names=contact_names(ctx.db, ctx.company.id, (e.contact_id for e in rows)),
        vendors=vendors,
        statuses=EXPENSE_STATUSES,
        kinds=EXPENSE_KINDS,
        filters=raw,
        errors=errors,
        pager=pager(page, "/expenses", raw, has_next),
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
        payments=_payments(ctx, expense_id=expense.id),
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(Permission.EXPENSES_DRAFT),
    )
