"""Keyset pagination for every list, whatever the protocol: REST, the web pages, MCP.

A list is read in a stable ``Order``: one key column, then the row id as the tiebreak, both
ascending or both descending. A page is at most ``limit`` rows after the row an opaque cursor
names; ``Page.next_cursor`` names the last row of the page, or is ``None`` on the last page.
The next page starts strictly after the last key seen, so rows inserted between two fetches
never make the walk repeat or skip a row; a row whose key changes meanwhile moves to its new
place (in the sync order ``changed``, to the end, so an incremental sync sees it again).

The cursor is the base64url JSON of the last row's ``[key, id]`` (the key as ISO 8601 for times
and days). Callers treat it as opaque; a cursor that does not decode is a ``ValidationFailed``
on the field ``cursor``.

A list service describes its list once as a ``Listing`` (query, company scope, filter
conditions, orders). Statements are built with bound parameters and cached per order and set of
filters given: SQLAlchemy then reuses their compiled form, which on a hot list costs less than
building the statement per request.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from newledger.db import UTCDateTime
from newledger.errors import ValidationFailed

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Listing",
    "Order",
    "Page",
    "PageRequest",
]

DEFAULT_LIMIT = 50
# The most rows one service call returns (the REST API allows fewer per page).
MAX_LIMIT = 500
_MAX_ID = 2**31  # ids are database integers
_MAX_KEY_TEXT = 400

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page: at most ``limit`` rows after ``cursor`` (``None``: the first page) in
    ``order``.

    ``updated_since`` keeps only rows changed at or after that time (created, for append-only
    lists such as journal entries and activity): what an incremental sync asks for."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    updated_since: dt.datetime | None = None
    # The list's order by name ("changed", the sync order, on every list). A cursor belongs to
    # the order it was made in.
    order: str = "changed"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def _invalid() -> ValidationFailed:
    return ValidationFailed("Invalid cursor.", errors={"cursor": "invalid cursor"})


def _instant(value: Any) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError
    return when.astimezone(dt.UTC)


def _day(value: Any) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError
    return dt.date.fromisoformat(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _MAX_KEY_TEXT:
        raise ValueError
    return value


def _parser(column: InstrumentedAttribute[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _instant
    if isinstance(kind, Date):
        return _day
    return _text


@dataclass(frozen=True)
class Order:
    """A stable list order: ``key`` then ``id``, both ascending or both ``descending``."""

    key: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[int]
    descending: bool = False
    _parse: Callable[[Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Chosen once: reading the column's type through the ORM attribute costs per cursor.
        object.__setattr__(self, "_parse", _parser(self.key))

    def encode(self, row: Any) -> str:
        """The cursor naming ``row`` (an entity or a row holding both columns by name)."""
        key = getattr(row, self.key.key)
        if isinstance(key, dt.date):
            key = key.isoformat()
        raw = orjson.dumps([key, getattr(row, self.id.key)])
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def decode(self, cursor: str) -> tuple[Any, int]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key, row_id = orjson.loads(raw)
            if not isinstance(row_id, int) or isinstance(row_id, bool):
                raise ValueError
            if not 0 <= row_id < _MAX_ID:
                raise ValueError
            return self._parse(key), row_id
        except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError):
            raise _invalid() from None

    def statement(
        self, query: Select[*tuple[Any, ...]], *, after: bool
    ) -> Select[*tuple[Any, ...]]:
        """``query`` in this order, after the bound ``after_key``/``after_id`` when ``after``,
        limited to the bound ``limit``."""
        key, row_id = self.key, self.id
        if after:
            when: BindParameter[Any] = bindparam("after_key")
            last: BindParameter[int] = bindparam("after_id")
            if self.descending:
                clause = or_(key < when, and_(key == when, row_id < last))
            else:
                clause = or_(key > when, and_(key == when, row_id > last))
            query = query.where(clause)
        if self.descending:
            query = query.order_by(key.desc(), row_id.desc())
        else:
            query = query.order_by(key, row_id)
        return query.limit(bindparam("limit", type_=Integer()))

    def values(self, page: PageRequest) -> dict[str, Any]:
        """The bound values ``page`` gives a statement: limit, cursor, ``updated_since``."""
        values: dict[str, Any] = {"limit": max(1, min(page.limit, MAX_LIMIT)) + 1}
        if page.cursor is not None:
            values["after_key"], values["after_id"] = self.decode(page.cursor)
        if page.updated_since is not None:
            values["updated_since"] = page.updated_since
        return values

    def fetch(
        self,
        session: Session,
        statement: Select[*tuple[Any, ...]],
        params: dict[str, Any],
        page: PageRequest,
        *,
        entities: bool = False,
    ) -> Page[Any]:
        """Run ``statement`` (built by ``statement``) for ``page`` with the filters'
        ``params``: ORM entities when ``entities``, else plain rows."""
        values = {**params, **self.values(page)}
        if entities:
            return self.cut(session.scalars(statement, values).all(), page)
        # Core execution on the session's connection: the rows are plain tuples, so the ORM's
        # per-statement machinery would be pure overhead (the invoice list is the API's hot path).
        return self.cut(session.connection().execute(statement, values).all(), page)

    def cut(self, rows: Sequence[T], page: PageRequest) -> Page[T]:
        """The ``limit + 1`` rows the statement returned as a page and its next cursor."""
        limit = max(1, min(page.limit, MAX_LIMIT))
        if len(rows) <= limit:
            return Page(rows, None)
        rows = rows[:limit]
        return Page(rows, self.encode(rows[-1]))


@dataclass(frozen=True, eq=False)
class Listing:
    """What a list service reads: ``query`` (columns, or one entity when ``entities``) within
    ``scope`` (a condition on the bound ``company_id``), the ``conditions`` its filters add (by
    name, each given the filter's bound parameter), ``updated_since`` on ``changed``, and its
    ``orders`` by name. One statement is built and cached per order and set of filters given."""

    query: Select[*tuple[Any, ...]]
    scope: ColumnElement[bool]
    changed: InstrumentedAttribute[dt.datetime]
    conditions: Mapping[str, Callable[[BindParameter[Any]], ColumnElement[bool]]]
    orders: Mapping[str, Order]
    entities: bool = False
    _cache: dict[tuple[Any, ...], Select[*tuple[Any, ...]]] = field(
        default_factory=dict, repr=False
    )

    def statement(
        self, order: str, filters: Iterable[str], *, updated_since: bool, after: bool
    ) -> Select[*tuple[Any, ...]]:
        shape = (order, *filters, updated_since, after)
        cached = self._cache.get(shape)
        if cached is None:
            query = self.query.where(
                self.scope, *(self.conditions[name](bindparam(name)) for name in filters)
            )
            if updated_since:
                query = query.where(self.changed >= bindparam("updated_since"))
            cached = self._cache[shape] = self.orders[order].statement(query, after=after)
        return cached

    def _given(self, filters: Any) -> dict[str, Any]:
        given: Iterable[tuple[str, Any]]
        if isinstance(filters, Mapping):
            given = filters.items()
        else:  # read by name: dataclasses.asdict would cost more than the query's binding
            given = ((name, getattr(filters, name)) for name in self.conditions)
        return {k: v for k, v in given if v is not None}

    def count(self, session: Session, company_id: int, filters: Any) -> int:
        """How many of the company's rows the filters keep, over all pages (a list's total)."""
        params = self._given(filters)
        shape = ("count", *params)
        statement = self._cache.get(shape)
        if statement is None:
            narrowed = self.query.where(
                self.scope, *(self.conditions[name](bindparam(name)) for name in params)
            )
            statement = self._cache[shape] = select(func.count()).select_from(
                narrowed.order_by(None).subquery()
            )
        params["company_id"] = company_id
        return int(session.connection().execute(statement, params).scalar_one())

    def page(
        self,
        session: Session,
        company_id: int,
        filters: Any,
        page: PageRequest,
    ) -> Page[Any]:
        """One page of the company's rows. ``filters`` maps condition names to values, or is an
        object with an attribute per condition; a ``None`` value is no filter."""
        params = self._given(filters)
        order = self.orders.get(page.order)
        if order is None:
            known = ", ".join(self.orders)
            raise ValidationFailed(f"Unknown order; one of {known}", errors={"order": "unknown"})
        statement = self.statement(
            page.order,
            tuple(params),
            updated_since=page.updated_since is not None,
            after=page.cursor is not None,
        )
        params["company_id"] = company_id
        return order.fetch(session, statement, params, page, entities=self.entities)
