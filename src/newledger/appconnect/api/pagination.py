"""The REST side of list pagination: ``limit``, opaque ``cursor``, ``updated_since``.

Lists are read by the services (``newledger.pagination``) in ``(updated_at, id)`` order
(``created_at`` for append-only tables), which is stable and suits incremental sync: a client
keeps the last cursor, and a row changed after it was read moves to the end, so the next walk
sees it again. Clients must treat the cursor as opaque.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Query

from newledger.appconnect.api.problems import ApiProblem
from newledger.appconnect.api.schemas import Timestamp
from newledger.pagination import DEFAULT_LIMIT, Page, PageRequest

__all__ = ["API_MAX_LIMIT", "list_params", "page_json"]

API_MAX_LIMIT = 200
T = TypeVar("T")


def _utc(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:
        return aware.astimezone(dt.UTC)
    except OverflowError:
        raise ApiProblem(
            422,
            "validation_failed",
            "updated_since is out of range.",
            errors={"updated_since": "out of range"},
        ) from None


async def list_params(
    limit: Annotated[
        int, Query(ge=1, le=API_MAX_LIMIT, description=f"Page size, 1 to {API_MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+=*$",
            description="Opaque `next_cursor` from the previous page.",
        ),
    ] = None,
    updated_since: Annotated[
        Timestamp | None,
        Query(description="Only rows changed at or after this ISO 8601 time (UTC if no zone)."),
    ] = None,
) -> PageRequest:
    return PageRequest(
        limit=limit,
        cursor=cursor or None,
        updated_since=_utc(updated_since) if updated_since is not None else None,
    )


def page_json(page: Page[T], item: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """The body of a list response: ``data`` and ``next_cursor`` (``null`` on the last page)."""
    return {"data": [item(row) for row in page.items], "next_cursor": page.next_cursor}
