"""``/payments``: money received from customers and paid to vendors (read only).

A payment settles an invoice (``invoice_id``) or a bill (``expense_id``), or refunds what is
left of a credit note (``credit_note_id``: money paid back to a customer, or received back from
a vendor for a vendor credit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import MAX_ID, IdPath, Page
from newledger.identity.permissions import Permission
from newledger.ledger import payments as payment_service
from newledger.ledger.models import Payment
from newledger.ledger.payments import PaymentFilters, get_payment, payment_dict
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Payments"])

FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class PaymentOut(BaseModel):
    id: int
    direction: Literal["received", "made"]
    contact_id: int | None
    invoice_id: int | None
    expense_id: int | None
    credit_note_id: int | None = Field(
        description="The credit note (`/credit-notes`) or vendor credit (`/vendor-credits`) "
        "this refunds."
    )
    bank_account_id: int
    date: dt.date
    amount: str
    currency: str
    reference: str
    journal_entry_id: int | None
    updated_at: dt.datetime


def _payment(payment: Payment) -> dict[str, Any]:
    return {**payment_dict(payment), "updated_at": payment.updated_at.isoformat()}


@router.get(
    "/payments",
    operation_id="listPayments",
    response_model=Page[PaymentOut],
    summary="List payments",
)
async def list_payments(
    params: Annotated[PageRequest, Depends(list_params)],
    direction: Literal["received", "made"] | None = None,
    contact_id: FilterId = None,
    invoice_id: FilterId = None,
    expense_id: FilterId = None,
    credit_note_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Refunds of this credit note or vendor credit."),
    ] = None,
    ctx: ApiContext = requires(Permission.PAYMENTS_READ),
) -> Response:
    filters = PaymentFilters(
        direction=direction,
        contact_id=contact_id,
        invoice_id=invoice_id,
        expense_id=expense_id,
        credit_note_id=credit_note_id,
    )
    page = payment_service.list_payments(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, _payment))


@router.get(
    "/payments/{payment_id}",
    operation_id="getPayment",
    response_model=PaymentOut,
    summary="One payment",
)
async def get_one_payment(
    payment_id: IdPath, ctx: ApiContext = requires(Permission.PAYMENTS_READ)
) -> Response:
    return ctx.respond(_payment(get_payment(ctx.session, ctx.actor, payment_id)))
