"""Contacts: customers and vendors, searchable, with each one's recent documents."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger.contacts import ContactFilters
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.pagination import PageRequest
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import page_link_errors, page_request, pager
from newledger.web.templating import render

router = web_router()
_read = require_permission(Permission.CONTACTS_READ)
KINDS = ("customer", "vendor", "both")
RECENT = PageRequest(limit=10, order="newest")


@router.get("/contacts")
def contact_list(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    q = request.query_params
    raw = {"kind": q.get("kind", "").strip(), "q": q.get("q", "").strip()}
    errors: dict[str, str] = {}
    kind = raw["kind"] if raw["kind"] in KINDS else None
    if raw["kind"] and kind is None:
        errors["kind"] = "Unknown kind."
    asked = page_request(request, "name")
    filters = ContactFilters(kind=kind, search=raw["q"] or None)
    with page_link_errors():
        page = contact_service.list_contacts(ctx.db, ctx.actor, filters, asked)
    return render(
        request,
        "ledger/contacts.html",
        ctx,
        status=422 if errors else 200,
        contacts=page.items,
        kinds=KINDS,
        filters=raw,
        errors=errors,
        pager=pager("/contacts", raw, asked, page),
    )


@router.get("/contacts/{contact_id}")
def contact_detail(request: Request, contact_id: int, ctx: WebContext = Depends(_read)) -> Response:
    contact = contact_service.get_contact(ctx.db, ctx.actor, contact_id)
    invoices: list[Any] = []
    expenses: list[Any] = []
    if ctx.can(Permission.INVOICES_READ) and contact.kind in ("customer", "both"):
        flt = InvoiceFilters(contact_id=contact.id)
        invoices = list(list_invoices(ctx.db, ctx.actor, flt, RECENT).items)
    if ctx.can(Permission.EXPENSES_READ) and contact.kind in ("vendor", "both"):
        found = list_expenses(ctx.db, ctx.actor, ExpenseFilters(contact_id=contact.id), RECENT)
        expenses = list(found.items)
    return render(
        request,
        "ledger/contact.html",
        ctx,
        contact=contact,
        invoices=invoices,
        expenses=expenses,
    )
