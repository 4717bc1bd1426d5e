"""``/items``: the company's products and services, read with ``accounts:read``.

Invoice and expense lines name an item by ``item_id``, or by ``item_code`` (what a CRM sends);
its defaults (description, unit price, income or expense account, tax rate) fill what the line
leaves out. Creating and changing items is a person's job (``ledger:post``, never delegated: an
item decides accounts and tax), so apps read them here and people manage them in NewLedger itself
(Settings → Items, or ``newledger items``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import etag
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import QUERY_TEXT_PATTERN, IdPath, Page, WireBool
from newledger.identity.permissions import Permission
from newledger.ledger import items as item_service
from newledger.ledger.items import ItemFilters, get_item, item_dict
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Items"])


class ItemOut(BaseModel):
    id: int
    code: str = Field(description="Unique in the company.")
    name: str
    description: str
    unit_price: str | None = Field(description="A decimal in the document's currency.")
    income_account_id: int | None
    expense_account_id: int | None
    tax_rate_id: int | None
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@router.get("/items", operation_id="listItems", response_model=Page[ItemOut], summary="List items")
async def list_items(
    params: Annotated[PageRequest, Depends(list_params)],
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=QUERY_TEXT_PATTERN, description="Code or name contains"),
    ] = None,
    include_archived: WireBool = False,
    ctx: ApiContext = requires(Permission.ACCOUNTS_READ),
) -> Response:
    """Products and services; a line's `item_id` (or `item_code`) takes its defaults."""
    filters = ItemFilters(include_archived=include_archived, search=q)
    page = item_service.list_items(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, item_dict))


@router.get("/items/{item_id}", operation_id="getItem", response_model=ItemOut, summary="One item")
async def get_one_item(
    item_id: IdPath, ctx: ApiContext = requires(Permission.ACCOUNTS_READ)
) -> Response:
    item = get_item(ctx.session, ctx.actor, item_id)
    return ctx.respond(item_dict(item), headers={"ETag": etag(item.version)})
