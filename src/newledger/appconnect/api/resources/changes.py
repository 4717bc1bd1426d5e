"""``/changes``: the change feed, for clients that keep a copy of the books in sync.

Read it from ``since`` (the last answer's ``next_cursor``) until ``has_more`` is false, then poll
again later with that cursor; fetch each changed record, and drop it when ``deleted`` is true
(or when fetching it answers 404: it was deleted after that change, and its tombstone follows).
Changes are kept for ``change_feed_retention_days``; a cursor older than that is a 410.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.events.catalogue import READ_PERMISSION, EventType
from newledger.events.feed import MAX_LIMIT, change_dict, read_changes

__all__ = ["router"]

router = APIRouter(tags=["Changes"])

ResourceType = Literal[
    "invoice",
    "expense",
    "contact",
    "payment",
    "credit_note",
    "vendor_credit",
    "payment_draft",
    "bank_transaction",
    "categorization_draft",
    "tax_rate",
    "item",
]


class ChangeOut(BaseModel):
    cursor: str = Field(description="This change's position in the feed.")
    type: ResourceType
    id: int = Field(description="The changed record's id; fetch it from its own endpoint.")
    event: EventType
    deleted: bool = Field(description="The record is gone (a deleted draft): drop your copy.")
    occurred_at: dt.datetime
    external_id: str | None = Field(
        default=None, description="The record's `external_id` then (contacts that have one)."
    )
    changed: list[str] | None = Field(
        default=None,
        description="The fields this update changed (contact updates), so a client can tell "
        "an address change from a rename before it fetches the record.",
    )


class ChangePageOut(BaseModel):
    data: list[ChangeOut]
    next_cursor: str = Field(description="Pass as `since` next time, whether or not more came.")
    has_more: bool


@router.get(
    "/changes",
    response_model=ChangePageOut,
    summary="Changes since a cursor, deletions included",
    description=(
        "What changed in the company's invoices, expenses, contacts, payments, credit notes, "
        "vendor credits, payment drafts, bank transactions, categorization drafts, tax rates "
        "and items after `since`, oldest first. Each type "
        "needs its read permission (`invoices:read`, …); without `types`, every type the "
        "token may read is listed."
    ),
    # One of these, per type asked for: ``requires`` states a single permission.
    openapi_extra={"x-permission-per-type": {t: p.value for t, p in READ_PERMISSION.items()}},
    responses={
        410: {
            "description": "`since` is older than the oldest change kept (`cursor_expired`): "
            "changes are kept for a while, then pruned; list the records again and read the "
            "feed from its start"
        }
    },
)
async def list_changes(
    since: Annotated[
        str | None,
        Query(max_length=18, pattern=r"^[0-9]*$", description="`next_cursor` of the last answer."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    types: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[a-z_]+(,[a-z_]+)*$",
            description="Comma-separated: " + ",".join(READ_PERMISSION),
        ),
    ] = None,
    ctx: ApiContext = requires(None),
) -> Response:
    page = read_changes(
        ctx.session,
        ctx.actor,
        since=since,
        limit=limit,
        types=types.split(",") if types else None,
    )
    return ctx.respond(
        {
            "data": [change_dict(change) for change in page.changes],
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    )
