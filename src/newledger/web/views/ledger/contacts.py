"""Contacts: customers and vendors, searchable, with each one's recent documents."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger.models import Expense, Invoice
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import PER_PAGE, page_number, pager
from newledger.web.views.ledger.listing import DocumentFilter, filter_expenses, filter_invoices

router = web_router()
_read = require_permission(Permission.CONTACTS_READ)
KINDS = ("customer", "vendor", "both")
RECENT = 10


@router.get("/contacts")
def contact_list(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    q = request.query_params
    raw = {"kind": q.get("kind", "").strip(), "q": q.get("q", "").strip()}
    errors: dict[str, str] = {}
    kind = raw["kind"] if raw["kind"] in KINDS else None
    if raw["kind"] and kind is None:
        errors["kind"] = "Unknown kind."
    page = page_number(request)
    rows = contact_service.list_contacts(
        ctx.db,
        ctx.actor,
        kind=kind,
        search=raw["q"] or None,
        limit=PER_PAGE + 1,
        offset=(page - 1) * PER_PAGE,
    )
    return render(
        request,
        "ledger/contacts.html",
        ctx,
        status=422 if errors else 200,
        contacts=rows[:PER_PAGE],
        kinds=KINDS,
        filters=raw,
        errors=errors,
        pager=pager(page, "/contacts", raw, len(rows) > PER_PAGE),
    )


@router.get("/contacts/{contact_id}")
def contact_detail(request: Request, contact_id: int, ctx: WebContext = Depends(_read)) -> Response:
    contact = contact_service.get_contact(ctx.db, ctx.actor, contact_id)
    flt = DocumentFilter(contact_id=contact.id)
    invoices: list[Invoice] = []
    expenses: list[Expense] = []
    if ctx.can(Permission.INVOICES_READ) and contact.kind in ("customer", "both"):
        invoices, _ = filter_invoices(ctx.db, ctx.actor, flt, limit=RECENT, offset=0)
    if ctx.can(Permission.EXPENSES_READ) and contact.kind in ("vendor", "both"):
        expenses, _ = filter_expenses(ctx.db, ctx.actor, flt, limit=RECENT, offset=0)
    return render(
        request,
        "ledger/contact.html",
        ctx,
        contact=contact,
        invoices=invoices,
        expenses=expenses,
    )
