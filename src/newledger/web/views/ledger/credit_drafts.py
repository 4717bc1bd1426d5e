"""New credit notes and vendor credits, and edits of their drafts, in the draft form of invoices
(``draft_pages``): priced lines against income accounts and sales rates (credit notes) or
expense accounts and purchase rates (vendor credits), and amounts to apply to the contact's
open invoices or bills, which the approval applies.

"New credit note" on an approved invoice's page opens the form from that invoice
(``?invoice_id=``): its customer, its lines and what is due on it applied to it; "New vendor
credit" on a bill's page does the same from the bill (``?bill_id=``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from newledger.actor import Actor
from newledger.errors import NotFound
from newledger.ledger import credit_notes as credit_service
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger._common import amount_due
from newledger.ledger.credit_lookups import open_documents
from newledger.ledger.models import CreditNote, Expense, Invoice
from newledger.ledger.payments import document_label as payment_label
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.ledger._common import posted_form
from newledger.web.views.ledger.credit_common import PURCHASE, SALES, CreditPages
from newledger.web.views.ledger.draft_pages import (
    DraftKind,
    Place,
    add_edit_routes,
    contact_param,
    document_label,
    draft_page,
    new_place,
    save_draft,
    saved_to_page,
)
from newledger.web.views.ledger.forms import (
    DraftForm,
    credit_changes,
    credit_form,
    new_credit_form,
    select_id,
)

__all__ = ["CREDIT_NOTES", "VENDOR_CREDITS", "OpenDocument", "router"]

router = web_router()
_ALLOCATE_KEY = re.compile(r"^allocate-(\d{1,10})$")


@dataclass(frozen=True)
class OpenDocument:
    """An invoice or bill the form offers to apply the credit to."""

    id: int
    label: str  # invoice INV-00001 | bill #7
    date: dt.date
    status: str
    due: int
    currency: str


def open_choices(
    ctx: WebContext, pages: CreditPages, contact_id: int, currency: str, also: list[int]
) -> list[OpenDocument]:
    return [
        OpenDocument(
            d.id,
            payment_label(d),
            d.issue_date if isinstance(d, Invoice) else d.date,
            d.status,
            amount_due(d),
            d.currency,
        )
        for d in open_documents(ctx.db, ctx.actor, pages.kind, contact_id, currency, also=also)
    ]


def _more(pages: CreditPages) -> Any:
    def more(ctx: WebContext, form: DraftForm, document: CreditNote | None) -> dict[str, Any]:
        """The open documents of the contact chosen on the form (and those it names with an
        amount, whatever they are now), in the credit note's currency."""
        assert ctx.company is not None
        currency = document.currency if document is not None else ctx.company.home_currency
        contact_id = select_id(form.values.get("contact_id", ""))
        named = [
            int(m.group(1))
            for key, value in form.values.items()
            if value and (m := _ALLOCATE_KEY.match(key)) is not None
        ]
        rows = []
        if isinstance(contact_id, int):
            rows = open_choices(ctx, pages, contact_id, currency, named)
        form.labels.update({f"allocate-{r.id}": f"Amount applied to {r.label}" for r in rows})
        return {"credit": pages, "open_documents": rows, "currency": currency}

    return more


def _kind(pages: CreditPages) -> DraftKind:
    kind = pages.kind

    def get(db: Session, actor: Actor, note_id: int) -> CreditNote:
        return credit_service.get_credit_note(db, actor, kind, note_id)

    def create(db: Session, actor: Actor, changes: dict[str, Any]) -> CreditNote:
        return credit_service.create_draft_credit_note(db, actor, kind=kind, **changes)

    def update(
        db: Session, actor: Actor, note_id: int, changes: dict[str, Any], **kw: Any
    ) -> CreditNote:
        return credit_service.update_draft_credit_note(db, actor, kind, note_id, changes, **kw)

    def changes(form: FormData) -> tuple[DraftForm, dict[str, Any]]:
        return credit_changes(form, kind)

    return DraftKind(
        pages.path,
        pages.anchor.replace("-", "_"),
        require_permission(pages.draft, pages.read),
        get,
        create,
        update,
        credit_form,
        changes,
        more=_more(pages),
        list_label=pages.plural,
    )


CREDIT_NOTES = _kind(SALES)
VENDOR_CREDITS = _kind(PURCHASE)


def _source_id(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    ok = value.isascii() and value.isdigit() and len(value) <= 10
    return int(value) if ok else None


def _from_invoice(ctx: WebContext, invoice_id: int | None) -> Invoice | None:
    if invoice_id is None:
        return None
    return invoice_service.get_invoice(ctx.db, ctx.actor, invoice_id)


def _from_bill(ctx: WebContext, bill_id: int | None) -> Expense | None:
    if bill_id is None:
        return None
    bill = expense_service.get_expense(ctx.db, ctx.actor, bill_id)
    if bill.kind != "bill":
        raise NotFound(f"Unknown bill {bill_id}", code="unknown_bill")
    return bill


def _place(kind: DraftKind, source: Invoice | Expense | None, param: str) -> Place:
    """A new draft's place; from an invoice or bill, Cancel goes back to it."""
    if source is None:
        return new_place(kind)
    path = "invoices" if isinstance(source, Invoice) else "expenses"
    return Place(
        f"/{kind.path}/new?{param}={source.id}", f"/{path}/{source.id}", document_label(source)
    )


def _add_new_routes(kind: DraftKind, param: str) -> None:
    """``/<path>/new`` (with ``?contact_id=``, or ``?<param>=`` to start from a document)."""
    load = _from_invoice if param == "invoice_id" else _from_bill
    path = f"/{kind.path}/new"

    @router.get(path, name=f"new_{kind.form_kind}_page")
    def new_page(request: Request, ctx: WebContext = Depends(kind.draft)) -> Response:
        source = load(ctx, _source_id(request, param))
        form = new_credit_form(dt.date.today(), contact_param(request), source)
        return draft_page(request, ctx, kind, form, _place(kind, source, param))

    @router.post(path, name=f"new_{kind.form_kind}")
    def new(
        request: Request,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.draft),
    ) -> Response:
        source = load(ctx, _source_id(request, param))
        place = _place(kind, source, param)
        return save_draft(request, ctx, form, kind, place, saved_to_page(kind, "saved"))


_add_new_routes(CREDIT_NOTES, "invoice_id")
_add_new_routes(VENDOR_CREDITS, "bill_id")
add_edit_routes(CREDIT_NOTES, router)
add_edit_routes(VENDOR_CREDITS, router)
