"""What ``/credit-notes`` and ``/vendor-credits`` share: their schemas' common parts and the
handlers' work, each given the kind (``sales`` or ``purchase``, see ``ledger.credit_kinds``).

The two resources differ in their permissions (``invoices:*`` or ``expenses:*``), in what their
lines post to (income accounts and sales rates, or expense accounts and purchase rates) and in
what they are allocated to (invoices or bills); an id of one kind is unknown to the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext
from newledger.appconnect.api.etag import etag, if_match_write
from newledger.appconnect.api.idempotency import Created, run_create
from newledger.appconnect.api.pagination import page_json
from newledger.appconnect.api.schemas import (
    AMOUNT_PATTERN,
    MAX_ID,
    TEXT_PATTERN,
    Amount,
    CurrencyCode,
    Day,
    DbId,
    StrictBody,
)
from newledger.ledger import credit_notes as service
from newledger.ledger.credit_note_dict import credit_note_dict, credit_note_summary
from newledger.ledger.credit_notes import CreditNoteFilters
from newledger.ledger.models import CreditNote
from newledger.pagination import PageRequest

__all__ = [
    "AllocationDate",
    "CreditAllocationOut",
    "CreditCreateFields",
    "CreditLineOut",
    "CreditNoteStatus",
    "CreditOutFields",
    "CreditSummaryFields",
    "CreditUpdateFields",
    "LineIn",
    "create",
    "credit_filters",
    "delete",
    "get",
    "listing",
    "update",
]

CreditNoteStatus = Literal["draft", "approved", "applied", "voided", "rejected"]
TaxMode = Literal["exclusive", "inclusive"]
TAX_MODE_HELP = "exclusive (default): prices are net, tax is added; inclusive: prices include it."
Memo = Annotated[str, Field(max_length=5000, pattern=TEXT_PATTERN)]
Reference = Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)]
AllocationDate = Annotated[
    Day | None,
    Field(
        description="When it counts; default: the later of the two documents' dates, and "
        "never before either."
    ),
]


class LineIn(StrictBody):
    """A line priced like an invoice line: quantity x unit price, then its tax."""

    description: str = Field(
        default="", max_length=500, description="Default: the item's description or name."
    )
    quantity: str = Field(default="1", pattern=AMOUNT_PATTERN, examples=["2"])
    unit_price: Amount | None = Field(
        default=None, description="Required unless the line's item has a unit price."
    )
    tax_rate_id: DbId | None = Field(
        default=None, description="A tax rate from `/tax-rates`; default: the item's; none: no tax."
    )
    item_id: DbId | None = Field(
        default=None, description="An item from `/items`: its defaults fill what the line omits."
    )


class CreditCreateFields(StrictBody):
    """What a new draft of either kind takes (``lines`` and ``allocations`` are declared per
    resource)."""

    contact_id: DbId = Field(description="The customer (credit notes) or vendor (vendor credits).")
    date: Day
    currency: CurrencyCode | None = Field(default=None, description="Default: home currency.")
    tax_mode: TaxMode = Field(default="exclusive", description=TAX_MODE_HELP)
    reference: Reference = Field(default="", description="e.g. the return or the vendor's number.")
    memo: Memo = ""


class CreditUpdateFields(StrictBody):
    """What a draft's update may change; ``lines`` and ``allocations`` replace the old ones
    whole."""

    contact_id: DbId | None = None
    date: Day | None = None
    currency: CurrencyCode | None = None
    tax_mode: TaxMode | None = Field(default=None, description=TAX_MODE_HELP)
    reference: Reference | None = None
    memo: Memo | None = None


class CreditLineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    amount: str
    account_id: int
    tax_rate_id: int | None
    tax_amount: str
    item_id: int | None


class CreditAllocationOut(BaseModel):
    id: int
    invoice_id: int | None = Field(description="The invoice it is set against (credit notes).")
    expense_id: int | None = Field(description="The bill it is set against (vendor credits).")
    amount: str
    date: dt.date
    status: Literal["proposed", "applied"] = Field(
        description="proposed: on a draft, applied when a person approves it; applied: it "
        "counts in the document's `amount_credited`."
    )


class CreditSummaryFields(BaseModel):
    id: int
    number: str
    contact_id: int
    contact_name: str
    date: dt.date
    currency: str
    status: CreditNoteStatus = Field(
        description="applied: nothing is left (all allocated or refunded)."
    )
    total: str
    amount_allocated: str = Field(description="Set against invoices or bills so far.")
    amount_refunded: str = Field(description="Paid back as money (a payment naming it).")
    remaining: str = Field(description="`total` - `amount_allocated` - `amount_refunded`.")
    reference: str
    memo: str
    version: int
    source: str
    source_label: str
    journal_entry_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CreditOutFields(CreditSummaryFields):
    tax_mode: TaxMode
    subtotal: str = Field(description="Net of tax; `total` = `subtotal` + `tax_total`.")
    tax_total: str
    void_entry_id: int | None
    rejected_reason: str
    lines: list[CreditLineOut]
    allocations: list[CreditAllocationOut]


async def credit_filters(
    status: CreditNoteStatus | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
) -> CreditNoteFilters:
    return CreditNoteFilters(
        status=status, contact_id=contact_id, date_from=date_from, date_to=date_to
    )


def _detail(note: CreditNote) -> dict[str, Any]:
    return {
        **credit_note_dict(note),
        "contact_name": note.contact.name,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def listing(
    ctx: ApiContext, kind: str, params: PageRequest, filters: CreditNoteFilters
) -> Response:
    filters = dataclasses.replace(filters, kind=kind)
    page = service.list_credit_notes(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, credit_note_summary))


def get(ctx: ApiContext, kind: str, note_id: int) -> Response:
    note = service.get_credit_note(ctx.session, ctx.actor, kind, note_id)
    return ctx.respond(_detail(note), headers={"ETag": etag(note.version)})


async def create(
    ctx: ApiContext, kind: str, path: str, body: StrictBody, idempotency_key: str | None
) -> Response:
    def made() -> Created:
        note = service.create_draft_credit_note(
            ctx.session, ctx.actor, kind=kind, **body.model_dump()
        )
        headers = {"Location": f"/api/v1/{path}/{note.id}", "ETag": etag(note.version)}
        return 201, _detail(note), headers

    return await run_create(ctx, idempotency_key, made)


def update(
    ctx: ApiContext, kind: str, note_id: int, body: StrictBody, if_match: str | None
) -> Response:
    current = service.credit_note_version(ctx.session, ctx.actor, kind, note_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    note = if_match_write(
        if_match,
        current,
        lambda version: service.update_draft_credit_note(
            ctx.session, ctx.actor, kind, note_id, changes, expected_version=version
        ),
    )
    data = _detail(note)
    ctx.session.commit()
    return ctx.respond(data, headers={"ETag": etag(note.version)})


def delete(ctx: ApiContext, kind: str, note_id: int, if_match: str | None) -> Response:
    current = service.credit_note_version(ctx.session, ctx.actor, kind, note_id)
    if_match_write(
        if_match,
        current,
        lambda version: service.delete_draft_credit_note(
            ctx.session, ctx.actor, kind, note_id, expected_version=version
        ),
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
