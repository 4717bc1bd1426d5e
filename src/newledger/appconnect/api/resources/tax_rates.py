"""``/tax-rates``: the company's sales tax and VAT rates, read with ``accounts:read``.

Invoice and expense lines name a rate by ``tax_rate_id``. Creating and changing rates is a
person's job (``ledger:post``, never delegated: a rate decides what is posted), so apps read
them here and people manage them in NewLedger itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import etag
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import IdPath, Page, WireBool
from newledger.identity.permissions import Permission
from newledger.ledger import tax_rates as tax_rate_service
from newledger.ledger.tax_rates import TaxRateFilters, get_tax_rate, tax_rate_dict
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Tax rates"])

Kind = Literal["sales", "purchase", "both"]


class TaxRateOut(BaseModel):
    id: int
    name: str
    rate: str
    kind: Kind
    account_id: int
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@router.get(
    "/tax-rates",
    operation_id="listTaxRates",
    response_model=Page[TaxRateOut],
    summary="List tax rates",
)
async def list_tax_rates(
    params: Annotated[PageRequest, Depends(list_params)],
    kind: Annotated[Kind | None, Query(description="sales or purchase also lists both")] = None,
    include_archived: WireBool = False,
    ctx: ApiContext = requires(Permission.ACCOUNTS_READ),
) -> Response:
    """`rate` is a percentage (`"7.25"`)."""
    filters = TaxRateFilters(kind=kind, include_archived=include_archived)
    page = tax_rate_service.list_tax_rates(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, tax_rate_dict))


@router.get(
    "/tax-rates/{tax_rate_id}",
    operation_id="getTaxRate",
    response_model=TaxRateOut,
    summary="One tax rate",
)
async def get_one_tax_rate(
    tax_rate_id: IdPath, ctx: ApiContext = requires(Permission.ACCOUNTS_READ)
) -> Response:
    tax_rate = get_tax_rate(ctx.session, ctx.actor, tax_rate_id)
    return ctx.respond(tax_rate_dict(tax_rate), headers={"ETag": etag(tax_rate.version)})
