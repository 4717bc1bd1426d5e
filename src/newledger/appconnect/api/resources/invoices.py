"""``/invoices``: read every invoice; create, edit and delete *drafts* (``invoices:draft``).

Drafts made here carry source ``api`` and the app's name, so the review queue shows who made
them; only a person approves a draft, which is what posts it to the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger.actor import Actor
from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader, etag, if_match_write
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import (
    AMOUNT_PATTERN,
    MAX_ID,
    TEXT_PATTERN,
    Amount,
    CurrencyCode,
    Day,
    DbId,
    IdPath,
    ItemCode,
    StrictBody,
)
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger import invoice_list
from newledger.ledger.invoice_list import InvoiceFilters, invoice_summary
from newledger.ledger.invoices import (
    create_draft_invoice,
    delete_draft_invoice,
    get_invoice,
    invoice_dict,
    invoice_version,
    update_draft_invoice,
)
from newledger.ledger.models import Invoice
from newledger.pagination import PageRequest

__all__ = ["invoice_filters", "invoice_page", "router"]

router = APIRouter(tags=["Invoices"])

InvoiceStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]
Memo = Annotated[str, Field(max_length=5000, pattern=TEXT_PATTERN)]


class InvoiceLineIn(StrictBody):
    description: str = Field(
        default="", max_length=500, description="Default: the item's description or name."
    )
    quantity: str = Field(default="1", pattern=AMOUNT_PATTERN, examples=["2"])
    unit_price: Amount | None = Field(
        default=None, description="Required unless the line's item has a unit price."
    )
    account_id: DbId | None = Field(
        default=None,
        description="An income account; default: the item's, else the contact's, else 4000.",
    )
    tax_rate_id: DbId | None = Field(
        default=None,
        description="A sales (or both) tax rate from `/tax-rates`; default: the item's; "
        "none: no tax.",
    )
    item_id: DbId | None = Field(
        default=None, description="An item from `/items`: its defaults fill what the line omits."
    )
    item_code: ItemCode | None = Field(
        default=None,
        description="Or the item's `code` (what a CRM or shop sends) instead of its id; with "
        "both, they must name the same item. An unknown code is a 422 `unknown_item`.",
    )


TaxMode = Literal["exclusive", "inclusive"]
TAX_MODE_HELP = "exclusive (default): prices are net, tax is added; inclusive: prices include it."


class InvoiceCreate(StrictBody):
    contact_id: DbId
    issue_date: Day
    due_date: Day | None = Field(default=None, description="Default: issue date + terms.")
    currency: CurrencyCode | None = Field(default=None, description="Default: home currency.")
    memo: Memo = ""
    tax_mode: TaxMode = Field(default="exclusive", description=TAX_MODE_HELP)
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=200)


class InvoiceUpdate(StrictBody):
    contact_id: DbId | None = None
    issue_date: Day | None = None
    due_date: Day | None = None
    currency: CurrencyCode | None = None
    memo: Memo | None = None
    tax_mode: TaxMode | None = Field(default=None, description=TAX_MODE_HELP)
    lines: list[InvoiceLineIn] | None = Field(
        default=None, min_length=1, max_length=200, description="Replaces every line."
    )


class InvoiceLineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    amount: str
    account_id: int
    tax_rate_id: int | None
    tax_amount: str
    item_id: int | None


class InvoiceSummary(BaseModel):
    id: int
    number: str
    contact_id: int
    contact_name: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    status: InvoiceStatus
    total: str
    amount_paid: str
    amount_credited: str = Field(
        description="What credit notes applied to it took off; due = total - paid - credited"
    )
    amount_due: str
    memo: str
    version: int
    source: str
    source_label: str
    journal_entry_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceOut(InvoiceSummary):
    tax_mode: TaxMode
    subtotal: str = Field(description="Net of tax; `total` = `subtotal` + `tax_total`.")
    tax_total: str
    rejected_reason: str
    lines: list[InvoiceLineOut]


async def invoice_filters(
    status: InvoiceStatus | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    issue_date_from: Day | None = None,
    issue_date_to: Day | None = None,
    due_date_to: Annotated[Day | None, Query(description="Due on or before")] = None,
) -> InvoiceFilters:
    return InvoiceFilters(
        status=status,
        contact_id=contact_id,
        issue_date_from=issue_date_from,
        issue_date_to=issue_date_to,
        due_date_to=due_date_to,
    )


def invoice_page(
    session: Session, actor: Actor, params: PageRequest, filters: InvoiceFilters
) -> dict[str, Any]:
    """One page of invoice summaries as the list's JSON body; shared with the benchmark's
    unauthenticated twin."""
    return page_json(invoice_list.list_invoices(session, actor, filters, params), invoice_summary)


def _detail(invoice: Invoice) -> dict[str, Any]:
    return {
        **invoice_dict(invoice),
        "contact_name": invoice.contact.name,
        "created_at": invoice.created_at.isoformat(),
        "updated_at": invoice.updated_at.isoformat(),
    }


@router.get(
    "/invoices",
    operation_id="listInvoices",
    response_model=PageModel[InvoiceSummary],
    summary="List invoices",
)
async def list_invoices(
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    ctx: ApiContext = requires(Permission.INVOICES_READ),
) -> Response:
    """Invoice summaries (no lines) in `(updated_at, id)` order."""
    return ctx.respond(invoice_page(ctx.session, ctx.actor, params, filters))


@router.get(
    "/invoices/{invoice_id}",
    operation_id="getInvoice",
    response_model=InvoiceOut,
    summary="One invoice",
)
async def get_one_invoice(
    invoice_id: IdPath, ctx: ApiContext = requires(Permission.INVOICES_READ)
) -> Response:
    """With its lines. The `ETag` is what a draft update or delete sends as `If-Match`."""
    invoice = get_invoice(ctx.session, ctx.actor, invoice_id)
    return ctx.respond(_detail(invoice), headers={"ETag": etag(invoice.version)})


@router.post(
    "/invoices",
    operation_id="createInvoiceDraft",
    status_code=201,
    response_model=InvoiceOut,
    summary="Create a draft invoice",
)
async def post_invoice(
    body: InvoiceCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    """The draft waits in the review queue, marked with this app; a person approves it."""

    def create() -> Created:
        values = body.model_dump()
        invoice = create_draft_invoice(ctx.session, ctx.actor, **values)
        headers = {"Location": f"/api/v1/invoices/{invoice.id}", "ETag": etag(invoice.version)}
        return 201, _detail(invoice), headers

    return await run_create(ctx, idempotency_key, create)


@router.patch(
    "/invoices/{invoice_id}",
    operation_id="updateInvoiceDraft",
    response_model=InvoiceOut,
    summary="Update a draft invoice",
)
async def patch_invoice(
    invoice_id: IdPath,
    body: InvoiceUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` replaces all lines) with `If-Match`."""
    current = invoice_version(ctx.session, ctx.actor, invoice_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    invoice = if_match_write(
        if_match,
        current,
        lambda version: update_draft_invoice(
            ctx.session, ctx.actor, invoice_id, changes, expected_version=version
        ),
    )
    data = _detail(invoice)
    ctx.session.commit()
    return ctx.respond(data, headers={"ETag": etag(invoice.version)})


@router.delete(
    "/invoices/{invoice_id}",
    operation_id="deleteInvoiceDraft",
    status_code=204,
    summary="Delete a draft invoice",
)
async def delete_invoice(
    invoice_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    current = invoice_version(ctx.session, ctx.actor, invoice_id)
    if_match_write(
        if_match,
        current,
        lambda version: delete_draft_invoice(
            ctx.session, ctx.actor, invoice_id, expected_version=version
        ),
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
