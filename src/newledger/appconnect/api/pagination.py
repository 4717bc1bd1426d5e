"""Cursor pagination for every list: ``limit``, opaque ``cursor``, ``updated_since``.

Lists are ordered by ``(updated_at, id)`` ascending (``created_at`` for append-only tables), which
is stable and suits incremental sync: a client keeps the last cursor, and a row changed after it
was read moves to the end, so the next walk sees it again. The cursor is the base64url JSON of
the last row's ``[timestamp, id]``; clients must treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Query
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from newledger.appconnect.api.problems import ApiProblem

__all__ = ["ListParams", "Page", "decode_cursor", "encode_cursor", "keyset_page", "list_params"]

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int
    after: tuple[dt.datetime, int] | None
    updated_since: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[Any]
    next_cursor: str | None


def encode_cursor(when: dt.datetime, row_id: int) -> str:
    raw = orjson.dumps([when.isoformat(), row_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when_s, row_id = orjson.loads(raw)
        when = dt.datetime.fromisoformat(when_s)
        if when.tzinfo is None or not isinstance(row_id, int) or not 0 <= row_id < 2**31:
            raise ValueError
        when = when.astimezone(dt.UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError):
        raise ApiProblem(
            422, "validation_failed", "Invalid cursor.", errors={"cursor": "invalid cursor"}
        ) from None
    return when, row_id


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


def list_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="Opaque `next_cursor` from the previous page."),
    ] = None,
    updated_since: Annotated[
        dt.datetime | None,
        Query(description="Only rows changed at or after this ISO 8601 time (UTC if no zone)."),
    ] = None,
) -> ListParams:
    return ListParams(
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
        updated_since=_utc(updated_since) if updated_since is not None else None,
    )


def keyset_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    params: ListParams,
    time_col: InstrumentedAttribute[dt.datetime],
    id_col: InstrumentedAttribute[int],
    *,
    scalars: bool = False,
) -> Page:
    """Run one page of ``query`` in ``(time_col, id_col)`` order.

    ``query`` selects either one ORM entity (``scalars=True``) or columns that include
    ``time_col`` and ``id_col`` under their own names.
    """
    if params.updated_since is not None:
        query = query.where(time_col >= params.updated_since)
    if params.after is not None:
        when, last_id = params.after
        query = query.where(or_(time_col > when, and_(time_col == when, id_col > last_id)))
    query = query.order_by(time_col, id_col).limit(params.limit + 1)
    result = session.execute(query)
    rows: Sequence[Any] = result.scalars().all() if scalars else result.all()
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, time_col.key), getattr(last, id_col.key))
    return Page(rows, next_cursor)
