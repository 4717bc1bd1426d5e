"""``/invoices``: read every invoice; create, edit and delete *drafts* (``invoices:draft``).

Drafts made here carry source ``api`` and the app's name, so the review queue shows who made
them; only a person approves a draft, which is what posts it to the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader, etag, expected_version, stale_to_412
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import (
    ListParams,
    Page,
    keyset_statement,
    keyset_values,
    list_params,
    page_of,
)
from newledger.appconnect.api.schemas import (
    AMOUNT_PATTERN,
    MAX_ID,
    TEXT_PATTERN,
    Amount,
    Day,
    DbId,
    IdPath,
    StrictBody,
)
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger.invoices import (
    create_draft_invoice,
    delete_draft_invoice,
    get_invoice,
    invoice_conditions,
    invoice_dict,
    update_draft_invoice,
)
from newledger.ledger.models import Contact, Invoice
from newledger.money import format_minor

__all__ = ["InvoiceFilters", "invoice_page", "router"]

router = APIRouter(tags=["Invoices"])

InvoiceStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
Memo = Annotated[str, Field(max_length=5000, pattern=TEXT_PATTERN)]


class InvoiceLineIn(StrictBody):
    description: str = Field(default="", max_length=500)
    quantity: str = Field(default="1", pattern=AMOUNT_PATTERN, examples=["2"])
    unit_price: Amount
    account_id: DbId | None = Field(
        default=None, description="An income account; default: the contact's, else 4000 Sales."
    )


class InvoiceCreate(StrictBody):
    contact_id: DbId
    issue_date: Day
    due_date: Day | None = Field(default=None, description="Default: issue date + terms.")
    currency: Currency | None = Field(default=None, description="Default: home currency.")
    memo: Memo = ""
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=200)


class InvoiceUpdate(StrictBody):
    contact_id: DbId | None = None
    issue_date: Day | None = None
    due_date: Day | None = None
    currency: Currency | None = None
    memo: Memo | None = None
    lines: list[InvoiceLineIn] | None = Field(
        default=None, min_length=1, max_length=200, description="Replaces every line."
    )


class InvoiceLineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    amount: str
    account_id: int


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
    amount_due: str
    memo: str
    version: int
    source: str
    source_label: str
    journal_entry_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceOut(InvoiceSummary):
    rejected_reason: str
    lines: list[InvoiceLineOut]


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    status: InvoiceStatus | None = None
    contact_id: int | None = None
    issue_date_from: dt.date | None = None
    issue_date_to: dt.date | None = None
    due_date_to: dt.date | None = None


async def invoice_filters(
    status: InvoiceStatus | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    issue_date_from: dt.date | None = None,
    issue_date_to: dt.date | None = None,
    due_date_to: Annotated[dt.date | None, Query(description="Due on or before")] = None,
) -> InvoiceFilters:
    return InvoiceFilters(
        status=status,
        contact_id=contact_id,
        issue_date_from=issue_date_from,
        issue_date_to=issue_date_to,
        due_date_to=due_date_to,
    )


# The list reads one row per invoice with its contact's name in ONE query; lines are only on
# the detail. This is the API's hot path (DESIGN §9: ≥ 1,000 req/s).
_LIST = select(
    Invoice.id,
    Invoice.number,
    Invoice.contact_id,
    Contact.name.label("contact_name"),
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.currency,
    Invoice.status,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.memo,
    Invoice.version,
    Invoice.source,
    Invoice.source_label,
    Invoice.journal_entry_id,
    Invoice.created_at,
    Invoice.updated_at,
).join(Contact, Contact.id == Invoice.contact_id)


def _summary(row: Any) -> dict[str, Any]:
    (
        id_,
        number,
        contact_id,
        contact_name,
        issue_date,
        due_date,
        cur,
        status,
        total,
        paid,
        memo,
        version,
        source,
        source_label,
        entry_id,
        created_at,
        updated_at,
    ) = row
    return {
        "id": id_,
        "number": number,
        "contact_id": contact_id,
        "contact_name": contact_name,
        "issue_date": issue_date.isoformat(),
        "due_date": due_date.isoformat(),
        "currency": cur,
        "status": status,
        "total": format_minor(total, cur),
        "amount_paid": format_minor(paid, cur),
        "amount_due": format_minor(total - paid, cur),
        "memo": memo,
        "version": version,
        "source": source,
        "source_label": source_label,
        "journal_entry_id": entry_id,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


_FILTERS = ("status", "contact_id", "issue_date_from", "issue_date_to", "due_date_to")


@lru_cache(maxsize=128)
def _list_statement(shape: tuple[bool, ...]) -> Any:
    """The list statement for one combination of present filters (``_FILTERS``, then
    ``updated_since`` and cursor), built once (see ``keyset_statement``); the values travel as
    bound parameters."""
    *present, since, after = shape
    query = _LIST.where(
        Invoice.company_id == bindparam("company_id"),
        *invoice_conditions(
            **{name: bindparam(name) for name, on in zip(_FILTERS, present, strict=True) if on}
        ),
    )
    return keyset_statement(query, Invoice.updated_at, Invoice.id, since=since, after=after)


def invoice_page(
    session: Session, company_id: int, params: ListParams, filters: InvoiceFilters
) -> dict[str, Any]:
    """One page of invoice summaries; shared with the benchmark's unauthenticated twin."""
    values = {
        "company_id": company_id,
        "status": filters.status,
        "contact_id": filters.contact_id,
        "issue_date_from": filters.issue_date_from,
        "issue_date_to": filters.issue_date_to,
        "due_date_to": filters.due_date_to,
    }
    present = {k: v for k, v in values.items() if v is not None}
    shape = (
        *(values[k] is not None for k in _FILTERS),
        params.updated_since is not None,
        params.after is not None,
    )
    statement = _list_statement(shape)
    # Core execution on the session's connection: the rows are plain tuples, so the ORM's
    # per-statement machinery would be pure overhead here.
    rows = session.connection().execute(statement, {**present, **keyset_values(params)}).all()
    page: Page = page_of(rows, params, "updated_at", "id")
    return {"data": [_summary(row) for row in page.rows], "next_cursor": page.next_cursor}


def _detail(invoice: Invoice) -> dict[str, Any]:
    return {
        **invoice_dict(invoice),
        "contact_name": invoice.contact.name,
        "created_at": invoice.created_at.isoformat(),
        "updated_at": invoice.updated_at.isoformat(),
    }


def _current_version(ctx: ApiContext, invoice_id: int) -> int | None:
    return ctx.session.scalar(
        select(Invoice.version).where(
            Invoice.company_id == ctx.company_id, Invoice.id == invoice_id
        )
    )


@router.get("/invoices", response_model=PageModel[InvoiceSummary], summary="List invoices")
async def list_invoices(
    params: Annotated[ListParams, Depends(list_params)],
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    ctx: ApiContext = requires(Permission.INVOICES_READ),
) -> Response:
    """Invoice summaries (no lines) in `(updated_at, id)` order."""
    return ctx.respond(invoice_page(ctx.session, ctx.company_id, params, filters))


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="One invoice")
async def get_one_invoice(
    invoice_id: IdPath, ctx: ApiContext = requires(Permission.INVOICES_READ)
) -> Response:
    """With its lines. The `ETag` is what a draft update or delete sends as `If-Match`."""
    invoice = get_invoice(ctx.session, ctx.actor, invoice_id)
    return ctx.respond(_detail(invoice), headers={"ETag": etag(invoice.version)})


@router.post(
    "/invoices", status_code=201, response_model=InvoiceOut, summary="Create a draft invoice"
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


@router.patch("/invoices/{invoice_id}", response_model=InvoiceOut, summary="Update a draft invoice")
async def patch_invoice(
    invoice_id: IdPath,
    body: InvoiceUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` replaces all lines) with `If-Match`."""
    current = _current_version(ctx, invoice_id)
    version = expected_version(if_match, current)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    invoice = stale_to_412(
        lambda: update_draft_invoice(
            ctx.session, ctx.actor, invoice_id, changes, expected_version=version
        ),
        current,
    )
    data = _detail(invoice)
    ctx.session.commit()
    return ctx.respond(data, headers={"ETag": etag(invoice.version)})


@router.delete("/invoices/{invoice_id}", status_code=204, summary="Delete a draft invoice")
async def delete_invoice(
    invoice_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    current = _current_version(ctx, invoice_id)
    version = expected_version(if_match, current)
    stale_to_412(
        lambda: delete_draft_invoice(ctx.session, ctx.actor, invoice_id, expected_version=version),
        current,
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
