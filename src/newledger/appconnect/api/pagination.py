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
from sqlalchemy import BindParameter, Integer, Select, and_, bindparam, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from newledger.appconnect.api.problems import ApiProblem

__all__ = [
    "ListParams",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "keyset_page",
    "keyset_statement",
    "keyset_values",
    "list_params",
    "page_of",
]

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


async def list_params(
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
    return page_of(rows, params, time_col.key, id_col.key)


def page_of(rows: Sequence[Any], params: ListParams, time_key: str, id_key: str) -> Page:
    """Cut the ``limit + 1`` rows a keyset query returned into a page and its next cursor."""
    if len(rows) <= params.limit:
        return Page(rows, None)
    rows = rows[: params.limit]
    last = rows[-1]
    return Page(rows, encode_cursor(getattr(last, time_key), getattr(last, id_key)))


def keyset_statement(
    query: Select[*tuple[Any, ...]],
    time_col: InstrumentedAttribute[dt.datetime],
    id_col: InstrumentedAttribute[int],
    *,
    since: bool,
    after: bool,
) -> Select[*tuple[Any, ...]]:
    """``keyset_page``'s clauses with bound parameters instead of values, for statements built
    once per *shape* and cached: SQLAlchemy then reuses the statement's cache key and compiled
    form, which on a hot list costs less than building the statement per request."""
    if since:
        query = query.where(time_col >= bindparam("updated_since"))
    if after:
        when: BindParameter[dt.datetime] = bindparam("after_time")
        query = query.where(
            or_(time_col > when, and_(time_col == when, id_col > bindparam("after_id")))
        )
    return query.order_by(time_col, id_col).limit(bindparam("limit", type_=Integer()))


def keyset_values(params: ListParams) -> dict[str, Any]:
    values: dict[str, Any] = {"limit": params.limit + 1}
    if params.updated_since is not None:
        values["updated_since"] = params.updated_since
    if params.after is not None:
        values["after_time"], values["after_id"] = params.after
    return values
