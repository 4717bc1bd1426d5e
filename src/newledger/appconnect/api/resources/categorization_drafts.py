"""``/categorization-drafts``: propose the account of a bank transaction (``bank:draft``).

Give ``account_id`` with your own ``confidence`` and ``evidence``, or leave all three out to
propose NewLedger's own hint from the company's approved history (that needs ``bank:read`` or
``expenses:read`` too; an abstaining hint is a 422 ``no_confident_hint``). One proposal per
transaction waits at a time (409 ``draft_exists``): withdraw it to propose another. A person
approves it in the review queue, which categorizes the transaction and posts its entry, or
rejects it with a reason; neither is in the API.
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
from newledger.appconnect.api.resources.payment_drafts import DraftStatus
from newledger.appconnect.api.schemas import MAX_ID, TEXT_PATTERN, DbId, IdPath, StrictBody
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger import categorization_drafts as drafts
from newledger.ledger.categorization_drafts import (
    CategorizationDraftFilters,
    categorization_draft_dict,
)
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Categorization drafts"])

Confidence = Annotated[float, Field(ge=0, le=1, examples=[0.92])]


class CategorizationDraftCreate(StrictBody):
    bank_transaction_id: DbId = Field(description="An uncategorized bank transaction.")
    account_id: DbId | None = Field(
        default=None, description="The proposed account; leave out for NewLedger's own hint."
    )
    confidence: Confidence | None = Field(default=None, description="How sure you are, 0 to 1.")
    evidence: Annotated[str, Field(max_length=1000, pattern=TEXT_PATTERN)] = Field(
        default="", description="Why, in words a reviewer reads."
    )


class CategorizationDraftOut(BaseModel):
    id: int
    bank_transaction_id: int
    account_id: int
    confidence: float | None = Field(ge=0, le=1)
    evidence: str
    hint_origin: Literal["history", "app"] = Field(
        description="`history`: NewLedger's hint from past categorizations; `app`: the proposer's."
    )
    status: DraftStatus
    version: int
    source: str
    source_label: str
    rejected_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


@router.get(
    "/categorization-drafts",
    operation_id="listCategorizationDrafts",
    response_model=PageModel[CategorizationDraftOut],
    summary="List categorization drafts",
)
async def list_categorization_drafts(
    params: Annotated[PageRequest, Depends(list_params)],
    status: DraftStatus | None = None,
    bank_transaction_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ctx: ApiContext = requires(Permission.BANK_READ),
) -> Response:
    """Open and decided drafts in `(updated_at, id)` order: `status=draft` is what still waits."""
    filters = CategorizationDraftFilters(status=status, bank_transaction_id=bank_transaction_id)
    page = drafts.list_categorization_drafts(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, categorization_draft_dict))


@router.get(
    "/categorization-drafts/{draft_id}",
    operation_id="getCategorizationDraft",
    response_model=CategorizationDraftOut,
    summary="One categorization draft",
)
async def get_one_categorization_draft(
    draft_id: IdPath, ctx: ApiContext = requires(Permission.BANK_READ)
) -> Response:
    """The `ETag` is what a delete sends as `If-Match`."""
    draft = drafts.get_categorization_draft(ctx.session, ctx.actor, draft_id)
    return ctx.respond(categorization_draft_dict(draft), headers={"ETag": etag(draft.version)})


@router.post(
    "/categorization-drafts",
    operation_id="createCategorizationDraft",
    status_code=201,
    response_model=CategorizationDraftOut,
    summary="Propose a bank transaction's account",
)
async def post_categorization_draft(
    body: CategorizationDraftCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.BANK_DRAFT),
) -> Response:
    """Nothing is posted until a person approves it in the review queue."""

    def create() -> Created:
        values: dict[str, Any] = body.model_dump()
        draft = drafts.create_categorization_draft(ctx.session, ctx.actor, **values)
        headers = {
            "Location": f"/api/v1/categorization-drafts/{draft.id}",
            "ETag": etag(draft.version),
        }
        return 201, categorization_draft_dict(draft), headers

    return await run_create(ctx, idempotency_key, create)


@router.delete(
    "/categorization-drafts/{draft_id}",
    operation_id="deleteCategorizationDraft",
    status_code=204,
    summary="Withdraw a categorization draft",
)
async def delete_categorization_draft(
    draft_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.BANK_DRAFT),
) -> Response:
    """Only while it awaits review (409 `not_a_draft` once decided)."""
    current = drafts.categorization_draft_version(ctx.session, ctx.actor, draft_id)
    if_match_write(
        if_match,
        current,
        lambda version: drafts.delete_categorization_draft(
            ctx.session, ctx.actor, draft_id, expected_version=version
        ),
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
