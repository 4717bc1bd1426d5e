"""``/payment-drafts``: propose a payment against an invoice or a bill (``payments:draft``).

A draft records nothing: it waits in the review queue, marked with this app, until a person
approves it there (which records the payment and marks the invoice or bill partially paid or
paid) or rejects it with a reason. Approving and rejecting are not in the API: only people
decide. A draft may be withdrawn while it waits (``DELETE`` with ``If-Match``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader, etag, if_match_write
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import (
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
from newledger.ledger import payment_drafts as drafts
from newledger.ledger.payment_drafts import PaymentDraftFilters, payment_draft_dict
from newledger.pagination import PageRequest

__all__ = ["DraftStatus", "router"]

router = APIRouter(tags=["Payment drafts"])

DraftStatus = Literal["draft", "approved", "rejected"]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class PaymentDraftCreate(StrictBody):
    invoice_id: DbId | None = Field(default=None, description="The invoice paid (money in).")
    expense_id: DbId | None = Field(
        default=None, description="Or the bill paid (money out): exactly one of the two."
    )
    amount: Amount = Field(description="At most what is open on it; part payments are fine.")
    date: Day
    bank_account_id: DbId = Field(description="The bank account (`/bank-accounts`) it moves.")
    reference: Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)] = ""


class PaymentDraftOut(BaseModel):
    id: int
    direction: Literal["received", "made"]
    invoice_id: int | None
    expense_id: int | None
    bank_account_id: int
    date: dt.date
    amount: str
    currency: str
    reference: str
    status: DraftStatus
    version: int
    source: str
    source_label: str
    rejected_reason: str
    payment_id: int | None = Field(description="The payment recorded when it was approved.")
    created_at: dt.datetime
    updated_at: dt.datetime


@router.get(
    "/payment-drafts",
    operation_id="listPaymentDrafts",
    response_model=PageModel[PaymentDraftOut],
    summary="List payment drafts",
)
async def list_payment_drafts(
    params: Annotated[PageRequest, Depends(list_params)],
    status: DraftStatus | None = None,
    invoice_id: FilterId = None,
    expense_id: FilterId = None,
    ctx: ApiContext = requires(Permission.PAYMENTS_READ),
) -> Response:
    """Open and decided drafts in `(updated_at, id)` order: `status=draft` is what still waits."""
    filters = PaymentDraftFilters(status=status, invoice_id=invoice_id, expense_id=expense_id)
    page = drafts.list_payment_drafts(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, payment_draft_dict))


@router.get(
    "/payment-drafts/{draft_id}",
    operation_id="getPaymentDraft",
    response_model=PaymentDraftOut,
    summary="One payment draft",
)
async def get_one_payment_draft(
    draft_id: IdPath, ctx: ApiContext = requires(Permission.PAYMENTS_READ)
) -> Response:
    """The `ETag` is what a delete sends as `If-Match`."""
    draft = drafts.get_payment_draft(ctx.session, ctx.actor, draft_id)
    return ctx.respond(payment_draft_dict(draft), headers={"ETag": etag(draft.version)})


@router.post(
    "/payment-drafts",
    operation_id="createPaymentDraft",
    status_code=201,
    response_model=PaymentDraftOut,
    summary="Propose a payment",
)
async def post_payment_draft(
    body: PaymentDraftCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.PAYMENTS_DRAFT),
) -> Response:
    """Checked like a payment now (an approved, open invoice or bill; at most what is open:
    422 `overpayment`; the bank account in its currency), and again when a person approves it
    in the review queue. Nothing is recorded until then."""

    def create() -> Created:
        values: dict[str, Any] = body.model_dump()
        draft = drafts.create_payment_draft(ctx.session, ctx.actor, **values)
        headers = {"Location": f"/api/v1/payment-drafts/{draft.id}", "ETag": etag(draft.version)}
        return 201, payment_draft_dict(draft), headers

    return await run_create(ctx, idempotency_key, create)


@router.delete(
    "/payment-drafts/{draft_id}",
    operation_id="deletePaymentDraft",
    status_code=204,
    summary="Withdraw a payment draft",
)
async def delete_payment_draft(
    draft_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.PAYMENTS_DRAFT),
) -> Response:
    """Only while it awaits review (409 `not_a_draft` once decided)."""
    current = drafts.payment_draft_version(ctx.session, ctx.actor, draft_id)
    if_match_write(
        if_match,
        current,
        lambda version: drafts.delete_payment_draft(
            ctx.session, ctx.actor, draft_id, expected_version=version
        ),
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
