"""``/credit-notes``: credit notes to customers (``CN-00001``…); read with ``invoices:read``,
create, edit and delete *drafts* with ``invoices:draft``.

A credit note takes money off what a customer owes: its lines are priced like invoice lines
(income accounts, sales tax rates), and a draft may propose allocations to the customer's open
invoices. Drafts made here carry source ``api`` and the app's name and wait in the review queue.
Approving one (which posts it and applies its proposed allocations), allocating it to invoices
later and refunding what is left are a person's acts in NewLedger: they need ``ledger:post``,
which is never delegated to an app.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader
from newledger.appconnect.api.idempotency import IdempotencyKeyHeader
from newledger.appconnect.api.pagination import list_params
from newledger.appconnect.api.resources import credits
from newledger.appconnect.api.resources.credits import (
    AllocationDate,
    CreditCreateFields,
    CreditOutFields,
    CreditSummaryFields,
    CreditUpdateFields,
    LineIn,
    credit_filters,
)
from newledger.appconnect.api.schemas import Amount, DbId, IdPath, StrictBody
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger.credit_notes import CreditNoteFilters
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Credit notes"])

KIND = "sales"
PATH = "credit-notes"


class CreditNoteLineIn(LineIn):
    account_id: DbId | None = Field(
        default=None,
        description="An income account (the sale it takes back); default: the item's, else "
        "the customer's, else 4000.",
    )


class CreditNoteAllocationIn(StrictBody):
    invoice_id: DbId = Field(description="An approved, unpaid invoice of the same customer.")
    amount: Amount = Field(description="At most what is due on it.")
    date: AllocationDate = None


ALLOCATIONS_HELP = (
    "Proposed allocations to the customer's open invoices: applied when a person approves the "
    "credit note (each checked again then); together at most its total."
)


class CreditNoteCreate(CreditCreateFields):
    lines: list[CreditNoteLineIn] = Field(min_length=1, max_length=200)
    allocations: list[CreditNoteAllocationIn] = Field(
        default_factory=list, max_length=200, description=ALLOCATIONS_HELP
    )


class CreditNoteUpdate(CreditUpdateFields):
    lines: list[CreditNoteLineIn] | None = Field(
        default=None, min_length=1, max_length=200, description="Replaces every line."
    )
    allocations: list[CreditNoteAllocationIn] | None = Field(
        default=None, max_length=200, description="Replaces every proposed allocation; [] clears."
    )


class CreditNoteSummary(CreditSummaryFields):
    kind: Literal["sales"] = Field(description="sales: a credit note to a customer.")


class CreditNoteOut(CreditOutFields):
    kind: Literal["sales"] = Field(description="sales: a credit note to a customer.")


@router.get(
    "/credit-notes",
    operation_id="listCreditNotes",
    response_model=PageModel[CreditNoteSummary],
    summary="List credit notes",
)
async def list_credit_notes(
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[CreditNoteFilters, Depends(credit_filters)],
    ctx: ApiContext = requires(Permission.INVOICES_READ),
) -> Response:
    """Summaries (no lines) in `(updated_at, id)` order; `date_from` and `date_to` bound the
    credit note's date."""
    return credits.listing(ctx, KIND, params, filters)


@router.get(
    "/credit-notes/{credit_note_id}",
    operation_id="getCreditNote",
    response_model=CreditNoteOut,
    summary="One credit note",
)
async def get_one_credit_note(
    credit_note_id: IdPath, ctx: ApiContext = requires(Permission.INVOICES_READ)
) -> Response:
    """With its lines, its allocations and what is left of it. The `ETag` is what a draft
    update or delete sends as `If-Match`. A vendor credit's id is a 404 here."""
    return credits.get(ctx, KIND, credit_note_id)


@router.post(
    "/credit-notes",
    operation_id="createCreditNoteDraft",
    status_code=201,
    response_model=CreditNoteOut,
    summary="Create a draft credit note",
)
async def post_credit_note(
    body: CreditNoteCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    """The draft waits in the review queue, marked with this app. A person approves it there,
    which posts it and applies its allocations; allocating it later and refunding what is left
    are a person's acts too (`ledger:post`, never delegated to an app).

    An allocation to another customer's invoice is a 422 `contact_mismatch`, more than is due on it
    or than the credit note's total a 422 `over_allocation`, an invoice that is not open a 409
    `not_open`."""
    return await credits.create(ctx, KIND, PATH, body, idempotency_key)


@router.patch(
    "/credit-notes/{credit_note_id}",
    operation_id="updateCreditNoteDraft",
    response_model=CreditNoteOut,
    summary="Update a draft credit note",
)
async def patch_credit_note(
    credit_note_id: IdPath,
    body: CreditNoteUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` and `allocations` replace the old ones) with
    `If-Match`; the whole draft is checked again."""
    return credits.update(ctx, KIND, credit_note_id, body, if_match)


@router.delete(
    "/credit-notes/{credit_note_id}",
    operation_id="deleteCreditNoteDraft",
    status_code=204,
    summary="Delete a draft credit note",
)
async def delete_credit_note(
    credit_note_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.INVOICES_DRAFT),
) -> Response:
    return credits.delete(ctx, KIND, credit_note_id, if_match)
