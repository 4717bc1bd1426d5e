"""Contacts: customers and vendors, searchable, with each one's addresses and recent documents,
and the form that creates and edits them (``contacts:write``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from newledger.errors import Conflict, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger.contacts import ContactFilters
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.models import Contact
from newledger.pagination import PageRequest
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import page_link_errors, page_request, pager
from newledger.web.templating import render
from newledger.web.views.ledger._common import posted_form
from newledger.web.views.ledger.contact_form import (
    ADDRESS_KINDS,
    COUNTRIES,
    ContactForm,
    contact_changes,
    contact_form,
    new_contact_form,
)
from newledger.web.views.ledger.forms import form_version

router = web_router()
_read = require_permission(Permission.CONTACTS_READ)
_write = require_permission(Permission.CONTACTS_READ, Permission.CONTACTS_WRITE)
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


# Where a new contact may lead: back to the draft form that asked for it, with it chosen.
_NEXT = {
    "invoice": ("/invoices/new", {}),
    "expense": ("/expenses/new", {"kind": "expense"}),
    "bill": ("/expenses/new", {"kind": "bill"}),
}


def _new_page(
    request: Request, ctx: WebContext, form: ContactForm, next_to: str, status: int = 200
) -> Response:
    kind = form.values["kind"]
    return render(
        request,
        "ledger/contact_edit.html",
        ctx,
        status=status,
        contact=None,
        title=f"New {kind if kind in ('customer', 'vendor') else 'contact'}",
        back="/contacts",
        action="/contacts/new",
        form=form,
        kinds=KINDS,
        address_kinds=ADDRESS_KINDS,
        countries=COUNTRIES,
        next_to=next_to if next_to in _NEXT else "",
    )


@router.get("/contacts/new")
def contact_new_page(request: Request, ctx: WebContext = Depends(_write)) -> Response:
    q = request.query_params
    kind = q.get("kind", "")
    form = new_contact_form(kind if kind in KINDS else "customer")
    return _new_page(request, ctx, form, q.get("next", ""))


@router.post("/contacts/new")
def contact_new(
    request: Request, form: FormData = Depends(posted_form), ctx: WebContext = Depends(_write)
) -> Response:
    """Create the contact and show it (or go back to the draft form that asked for it, with it
    chosen); or show the form again with what was wrong (422) or the external id's holder
    (409)."""
    submitted, changes = contact_changes(form)
    next_to = str(form.get("next") or "")
    try:
        contact = contact_service.create_contact(ctx.db, ctx.actor, **changes)
    except (ValidationFailed, Conflict) as exc:
        ctx.db.rollback()
        submitted.errors = dict(getattr(exc, "errors", {}))
        submitted.message = "Check the fields marked below." if submitted.errors else exc.message
        status = 422 if isinstance(exc, ValidationFailed) else 409
        return _new_page(request, ctx, submitted, next_to, status)
    ctx.db.commit()
    if next_to in _NEXT:
        path, query = _NEXT[next_to]
        return RedirectResponse(
            f"{path}?{urlencode({**query, 'contact_id': contact.id})}", status_code=303
        )
    return RedirectResponse(f"/contacts/{contact.id}?saved=1", status_code=303)


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
        saved=request.query_params.get("saved") == "1",
    )


def _edit_page(
    request: Request, ctx: WebContext, contact: Contact, form: ContactForm, status: int = 200
) -> Response:
    return render(
        request,
        "ledger/contact_edit.html",
        ctx,
        status=status,
        contact=contact,
        title=f"Edit {contact.name}",
        back=f"/contacts/{contact.id}",
        action=f"/contacts/{contact.id}/edit",
        form=form,
        kinds=KINDS,
        address_kinds=ADDRESS_KINDS,
        countries=COUNTRIES,
    )


@router.get("/contacts/{contact_id}/edit")
def contact_edit_page(
    request: Request, contact_id: int, ctx: WebContext = Depends(_write)
) -> Response:
    contact = contact_service.get_contact(ctx.db, ctx.actor, contact_id)
    return _edit_page(request, ctx, contact, contact_form(contact))


@router.post("/contacts/{contact_id}/edit")
def contact_edit(
    request: Request,
    contact_id: int,
    form: FormData = Depends(posted_form),
    ctx: WebContext = Depends(_write),
) -> Response:
    """Save the form, or show it again with what was wrong (422) or what changed (409: edited
    meanwhile by someone else, or the external id belongs to another contact)."""
    submitted, changes = contact_changes(form)
    try:
        contact_service.update_contact(
            ctx.db, ctx.actor, contact_id, changes, expected_version=form_version(form)
        )
    except (ValidationFailed, Conflict) as exc:
        ctx.db.rollback()
        contact = contact_service.get_contact(ctx.db, ctx.actor, contact_id)
        submitted.errors = dict(getattr(exc, "errors", {}))
        submitted.message = "Check the fields marked below." if submitted.errors else exc.message
        status = 422 if isinstance(exc, ValidationFailed) else 409
        return _edit_page(request, ctx, contact, submitted, status)
    ctx.db.commit()
    return RedirectResponse(f"/contacts/{contact_id}?saved=1", status_code=303)
