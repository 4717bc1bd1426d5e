"""Credit notes (``/credit-notes``) and vendor credits (``/vendor-credits``): filtered lists and
each one's page: its lines and totals, where it is applied, its refunds, where it came from,
and what a person holding ``ledger:post`` may do with it (``credit_actions``): approve or
reject a draft, apply what is left to an open invoice or bill, take an allocation back, refund
the rest, void."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger import credit_notes as credit_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.credit_lookups import allocation_views
from newledger.ledger.models import CreditNote
from newledger.ledger.payments import PaymentFilters
from newledger.money import format_minor
from newledger.pagination import Page, PageRequest
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import (
    account_names,
    bank_choices,
    bank_names,
    contact_names,
    tax_rate_names,
)
from newledger.web.views.ledger.credit_common import (
    CREDIT_STATUSES,
    PURCHASE,
    SALES,
    CreditPages,
)
from newledger.web.views.ledger.credit_drafts import open_choices
from newledger.web.views.ledger.documents import (
    ActionForm,
    common_filters,
    contact_choices,
    list_page,
    payments_for,
    raw_filters,
)

__all__ = ["credit_page", "router"]

router = web_router()


def _list(request: Request, ctx: WebContext, pages: CreditPages) -> Response:
    raw, errors = raw_filters(request), dict[str, str]()
    raw.pop("kind")
    status, contact_id, start, end = common_filters(raw, CREDIT_STATUSES, errors)
    filters = credit_service.CreditNoteFilters(
        kind=pages.kind, status=status, contact_id=contact_id, date_from=start, date_to=end
    )
    assert ctx.company is not None
    company_id = ctx.company.id
    names: dict[int, str] = {}  # the listed notes' contacts, filled once the page is read

    def fetch(asked: PageRequest) -> Page[CreditNote]:
        page = credit_service.list_credit_notes(ctx.db, ctx.actor, filters, asked)
        names.update(contact_names(ctx.db, company_id, [n.contact_id for n in page.items]))
        return page

    return list_page(
        request,
        ctx,
        "ledger/credit_notes.html",
        "notes",
        raw,
        errors,
        fetch,
        path=f"/{pages.path}",
        credit=pages,
        contacts=contact_choices(ctx, pages.contact_kind),
        contact_names=names,
        statuses=CREDIT_STATUSES,
    )


def _action_forms(
    ctx: WebContext, pages: CreditPages, note: CreditNote, values: dict[str, Any]
) -> None:
    """The forms this person (``ledger:post``) is offered, as submitted when ``values`` carries
    a refused one, else with their defaults: each open document of the contact with what can
    go on it (the less of what is left and what is due), a refund of what is left, today,
    through the first bank account in the credit's currency; a void while nothing is used."""
    if not ctx.can(Permission.LEDGER_POST) or note.status != "approved":
        return
    cur = note.currency
    documents = open_choices(ctx, pages, note.contact_id, cur, [])
    values["allocate_choices"] = [
        (d, format_minor(min(note.remaining, d.due), cur)) for d in documents
    ]
    banks = bank_choices(ctx.db, note.company_id, cur)
    values["bank_accounts"] = banks
    values.setdefault(
        "refund_form",
        ActionForm(
            {
                "amount": format_minor(note.remaining, cur),
                "date": max(dt.date.today(), note.date).isoformat(),
                "bank_account_id": str(banks[0][0]) if banks else "",
                "reference": "",
            }
        ),
    )
    if not note.amount_allocated and not note.amount_refunded:
        values.setdefault("void_form", ActionForm({"reason": ""}))


def credit_page(
    request: Request,
    ctx: WebContext,
    pages: CreditPages,
    note_id: int,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """A credit note's or vendor credit's page (``values``: a refused form, as submitted)."""
    note = credit_service.get_credit_note(ctx.db, ctx.actor, pages.kind, note_id)
    company_id = note.company_id
    _action_forms(ctx, pages, note, values)
    return render(
        request,
        "ledger/credit_note.html",
        ctx,
        status=status,
        note=note,
        credit=pages,
        contact_name=contact_names(ctx.db, company_id, [note.contact_id]).get(note.contact_id, ""),
        accounts=account_names(ctx.db, company_id),
        tax_rates=tax_rate_names(ctx.db, company_id),
        allocations=allocation_views(ctx.db, ctx.actor, note),
        refunds=payments_for(ctx, PaymentFilters(credit_note_id=note.id)),
        banks=bank_names(ctx.db, company_id),
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(pages.draft),
        # void_note reads any document's void back: when and why it was voided.
        voided=invoice_service.void_note(ctx.db, note),
        done=request.query_params.get("done"),
        **values,
    )


def _add_routes(pages: CreditPages) -> None:
    gate = require_permission(pages.read)

    @router.get(f"/{pages.path}", name=f"{pages.anchor}_list")
    def listing(request: Request, ctx: WebContext = Depends(gate)) -> Response:
        return _list(request, ctx, pages)

    @router.get(f"/{pages.path}/{{note_id}}", name=f"{pages.anchor}_page")
    def detail(request: Request, note_id: int, ctx: WebContext = Depends(gate)) -> Response:
        return credit_page(request, ctx, pages, note_id)


_add_routes(SALES)
_add_routes(PURCHASE)
