"""``/vendor-credits``: credits from vendors (``VC-00001``…); read with ``expenses:read``,
create, edit and delete *drafts* with ``expenses:draft``.

A vendor credit takes money off what the company owes a vendor (a return, a discount, an
overcharge): its lines are priced like invoice lines against expense accounts and purchase tax
rates, and a draft may propose allocations to the vendor's open bills. Drafts made here carry
source ``api`` and the app's name and wait in the review queue. Approving one (which posts it
and applies its proposed allocations), allocating it to bills later and refunding what is left
are a person's acts in NewLedger: they need ``ledger:post``, which is never delegated to an app.
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

router = APIRouter(tags=["Vendor credits"])

KIND = "purchase"
PATH = "vendor-credits"


class VendorCreditLineIn(LineIn):
    account_id: DbId | None = Field(
        default=None,
        description="An expense account (the cost it takes back); required unless the item "
        "or the vendor has one.",
    )


class VendorCreditAllocationIn(StrictBody):
    expense_id: DbId = Field(description="An approved, unpaid bill of the same vendor.")
    amount: Amount = Field(description="At most what is due on it.")
    date: AllocationDate = None


ALLOCATIONS_HELP = (
    "Proposed allocations to the vendor's open bills: applied when a person approves the "
    "vendor credit (each checked again then); together at most its total."
)


class VendorCreditCreate(CreditCreateFields):
    lines: list[VendorCreditLineIn] = Field(min_length=1, max_length=200)
    allocations: list[VendorCreditAllocationIn] = Field(
        default_factory=list, max_length=200, description=ALLOCATIONS_HELP
    )


class VendorCreditUpdate(CreditUpdateFields):
    lines: list[VendorCreditLineIn] | None = Field(
        default=None, min_length=1, max_length=200, description="Replaces every line."
    )
    allocations: list[VendorCreditAllocationIn] | None = Field(
        default=None, max_length=200, description="Replaces every proposed allocation; [] clears."
    )


class VendorCreditSummary(CreditSummaryFields):
    kind: Literal["purchase"] = Field(description="purchase: a credit from a vendor.")


class VendorCreditOut(CreditOutFields):
    kind: Literal["purchase"] = Field(description="purchase: a credit from a vendor.")


@router.get(
    "/vendor-credits",
    operation_id="listVendorCredits",
    response_model=PageModel[VendorCreditSummary],
    summary="List vendor credits",
)
async def list_vendor_credits(
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[CreditNoteFilters, Depends(credit_filters)],
    ctx: ApiContext = requires(Permission.EXPENSES_READ),
) -> Response:
    """Summaries (no lines) in `(updated_at, id)` order; `date_from` and `date_to` bound the
    vendor credit's date."""
    return credits.listing(ctx, KIND, params, filters)


@router.get(
    "/vendor-credits/{vendor_credit_id}",
    operation_id="getVendorCredit",
    response_model=VendorCreditOut,
    summary="One vendor credit",
)
async def get_one_vendor_credit(
    vendor_credit_id: IdPath, ctx: ApiContext = requires(Permission.EXPENSES_READ)
) -> Response:
    """With its lines, its allocations and what is left of it. The `ETag` is what a draft
    update or delete sends as `If-Match`. A credit note's id is a 404 here."""
    return credits.get(ctx, KIND, vendor_credit_id)


@router.post(
    "/vendor-credits",
    operation_id="createVendorCreditDraft",
    status_code=201,
    response_model=VendorCreditOut,
    summary="Create a draft vendor credit",
)
async def post_vendor_credit(
    body: VendorCreditCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    """The draft waits in the review queue, marked with this app. A person approves it there,
    which posts it and applies its allocations; allocating it later and refunding what is left
    are a person's acts too (`ledger:post`, never delegated to an app).

    An allocation to another vendor's bill is a 422 `contact_mismatch`, more than is due on it
    or than the vendor credit's total a 422 `over_allocation`, a bill that is not open a 409
    `not_open`."""
    return await credits.create(ctx, KIND, PATH, body, idempotency_key)


@router.patch(
    "/vendor-credits/{vendor_credit_id}",
    operation_id="updateVendorCreditDraft",
    response_model=VendorCreditOut,
    summary="Update a draft vendor credit",
)
async def patch_vendor_credit(
    vendor_credit_id: IdPath,
    body: VendorCreditUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` and `allocations` replace the old ones) with
    `If-Match`; the whole draft is checked again."""
    return credits.update(ctx, KIND, vendor_credit_id, body, if_match)


@router.delete(
    "/vendor-credits/{vendor_credit_id}",
    operation_id="deleteVendorCreditDraft",
    status_code=204,
    summary="Delete a draft vendor credit",
)
async def delete_vendor_credit(
    vendor_credit_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    return credits.delete(ctx, KIND, vendor_credit_id, if_match)
