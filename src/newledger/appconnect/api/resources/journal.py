"""``/journal-entries``: posted entries with their lines (read only; entries are immutable)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import QUERY_TEXT_PATTERN, Day, IdPath, Page
from newledger.identity.permissions import Permission
from newledger.ledger import journal as journal_service
from newledger.ledger.journal import EntryFilters, entry_dict, get_entry
from newledger.ledger.models import JournalEntry
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Journal"])


class JournalLineOut(BaseModel):
    account_id: int
    contact_id: int | None
    currency: str
    debit: str | None
    credit: str | None
    description: str


class JournalEntryOut(BaseModel):
    id: int
    date: dt.date
    memo: str
    source_type: str
    source_id: int | None
    reverses_entry_id: int | None
    created_at: dt.datetime
    lines: list[JournalLineOut]


def _entry(entry: JournalEntry) -> dict[str, Any]:
    return {**entry_dict(entry), "created_at": entry.created_at.isoformat()}


@router.get(
    "/journal-entries",
    operation_id="listJournalEntries",
    response_model=Page[JournalEntryOut],
    summary="List journal entries",
)
async def list_journal_entries(
    params: Annotated[PageRequest, Depends(list_params)],
    date_from: Day | None = None,
    date_to: Day | None = None,
    source_type: Annotated[str | None, Query(max_length=16, pattern=QUERY_TEXT_PATTERN)] = None,
    ctx: ApiContext = requires(Permission.JOURNAL_READ),
) -> Response:
    """Entries in the order they were posted, each with its lines. `updated_since` filters on
    the posting time (entries never change after posting)."""
    filters = EntryFilters(date_from=date_from, date_to=date_to, source_type=source_type)
    page = journal_service.list_entries(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, _entry))


@router.get(
    "/journal-entries/{entry_id}",
    operation_id="getJournalEntry",
    response_model=JournalEntryOut,
    summary="One journal entry",
)
async def get_journal_entry(
    entry_id: IdPath, ctx: ApiContext = requires(Permission.JOURNAL_READ)
) -> Response:
    return ctx.respond(_entry(get_entry(ctx.session, ctx.actor, entry_id)))
