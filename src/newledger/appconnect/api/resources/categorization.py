"""``/categorization/suggestions``: which expense account a new expense probably belongs to.

A hint is advice computed by ``newledger.ledger.categorize`` from the company's own approved
history; it creates nothing (so it takes no ``Idempotency-Key``) and posts nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.schemas import TEXT_PATTERN, Amount, CurrencyCode, DbId, StrictBody
from newledger.identity.permissions import Permission
from newledger.ledger.categorize import hint_amount, suggest

__all__ = ["router"]

router = APIRouter(tags=["Categorization"])


class SuggestionRequest(StrictBody):
    description: Annotated[str, Field(min_length=1, max_length=500, pattern=TEXT_PATTERN)]
    contact_id: DbId | None = Field(default=None, description="The vendor, if known.")
    vendor: Annotated[str | None, Field(max_length=200, pattern=TEXT_PATTERN)] = Field(
        default=None, description="The vendor's name when there is no contact yet."
    )
    amount: Amount | None = None
    currency: CurrencyCode | None = None


class SuggestionOut(BaseModel):
    account_id: int | None
    account_code: str
    account_name: str
    confidence: float = Field(ge=0, le=1)
    evidence: str = Field(examples=["12 of 12 past 'Staples' expenses → Office Supplies"])
    abstained: bool


@router.post(
    "/categorization/suggestions",
    operation_id="suggestExpenseAccount",
    response_model=SuggestionOut,
    summary="Suggest an expense account",
)
async def post_suggestion(
    body: SuggestionRequest, ctx: ApiContext = requires(Permission.EXPENSES_READ)
) -> Response:
    """Vendor history first, then similar past descriptions; `abstained` is true (and
    `account_id` null) when the history does not support a confident guess."""
    amount = hint_amount(ctx.session, ctx.company_id, body.amount, body.currency)
    vendor: int | str | None = body.contact_id if body.contact_id is not None else body.vendor
    hint = await run_in_threadpool(
        suggest, ctx.session, ctx.actor, ctx.company_id, body.description, vendor, amount
    )
    return ctx.respond(hint.to_json())
