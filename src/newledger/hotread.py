"""Hot reads on plain DBAPI cursors: the token endpoint's one read, the bearer check's and the
cash position's.

A token request needs exactly one indexed SELECT. Through SQLAlchemy's pooled ``Connection``,
checkout, statement caching, result wrapping and type processing cost more CPU than the query
itself (profiled: about a third of the request). Here a statement is compiled once by
SQLAlchemy for the dialect (``Prepared``, with SQLAlchemy's own bind processors, e.g. dates for
SQLite) and then run on a plain DBAPI cursor. Rows come back as the driver gives them: callers
convert what they read (``as_utc`` for timestamps).

``HotReader`` runs one on a dedicated connection (one per worker process), for the token
endpoint, which needs no unit of work. ``session_rows`` runs one on a session's own connection,
in its unit of work (the bearer check and the tool that follows share one transaction).
``LoopConnection`` keeps one connection for units of work on the event loop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement

from newledger.db import session_scope, unit_of_work

__all__ = [
    "HotReader",
    "LoopConnection",
    "Prepared",
    "as_utc",
    "commit",
    "session_row",
    "session_rows",
]

# ``Session.info`` key marking a ``LoopConnection``'s session.
_LOOP = "newledger.loop_connection"


def as_utc(value: Any) -> dt.datetime | None:
    """A UTC datetime from what the DBAPI returns (SQLite: ISO text; PostgreSQL: naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_utc(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC)
    raise TypeError(f"not a datetime: {value!r}")


@lru_cache(maxsize=1024)
def _parse_utc(text: str) -> dt.datetime:
    # Cached: an app's timestamps (last use, expiry) come back as the same text on every token
    # request, and parsing one cost about 0.9 µs. Datetimes are immutable, so sharing is safe.
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: Sequence[str] | None
    # SQLAlchemy's per-parameter conversions for the dialect (a date as text for SQLite, say).
    processors: dict[str, Callable[[Any], Any]]
    # Values SQLAlchemy bound itself (``coalesce(x, 0)``'s 0).
    defaults: dict[str, Any]


class Prepared:
    """``statement`` compiled once per dialect; ``args`` gives the DBAPI parameters, ``Row`` a
    named tuple of its selected columns (for ``session_row``)."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        columns = getattr(statement, "selected_columns", None)
        names = list(columns.keys()) if columns is not None else []
        self.Row: type[Any] = namedtuple("Row", names, rename=True)  # type: ignore[misc]

    def compiled(self, dialect: Dialect) -> _Compiled:
        got = self._by_dialect.get(dialect.name)
        if got is None:
            compiled: Any = self._statement.compile(dialect=dialect)
            got = _Compiled(
                compiled.string,
                getattr(compiled, "positiontup", None),
                # A private attribute of SQLCompiler since 1.4, read once per dialect.
                dict(compiled._bind_processors),
                {
                    name: bind.value
                    for name, bind in compiled.binds.items()
                    if not bind.required and bind.callable is None
                },
            )
            self._by_dialect[dialect.name] = got
        return got

    def args(self, dialect: Dialect, params: dict[str, Any]) -> Any:
        compiled = self.compiled(dialect)
        if compiled.defaults or compiled.processors:
            params = {**compiled.defaults, **params}
            for name, process in compiled.processors.items():
                if name in params:
                    params[name] = process(params[name])
        names = compiled.positional
        return [params[name] for name in names] if names else params


def session_rows(session: Session, prepared: Prepared, **params: Any) -> list[Any]:
    """``prepared``'s rows (plain tuples) on ``session``'s own connection, in its unit of
    work.

    A ``LoopConnection`` session that has not begun an ORM transaction is not made to begin one
    for a read: the read runs on its connection as it is, and the unit of work ends whatever
    the driver began for it (``LoopConnection.session``). Beginning and committing the ORM
    transaction cost more than the MCP lean path's two reads (the token's grant, the cash
    position) together."""
    if session.in_transaction() or not session.info.get(_LOOP):
        connection = session.connection()
    else:
        connection = session.bind  # type: ignore[assignment]  # the loop's Connection
    dialect = connection.dialect
    dbapi_connection: Any = connection.connection.dbapi_connection
    compiled = prepared.compiled(dialect)
    args = prepared.args(dialect, params)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(compiled.sql, args)
        return list(cursor.fetchall())
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy would raise it (callers and ``LoopConnection`` catch its classes), with
        # the bound values hidden (they include a token's id), and a lost connection
        # invalidated so the pool does not hand it out again.
        lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            compiled.sql,
            args,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=dialect,
            connection_invalidated=lost,
        ) from exc
    finally:
        cursor.close()


def commit(session: Session) -> None:
    """End ``session``'s unit of work so far: its ORM transaction if it began one, and for a
    ``LoopConnection`` session also what hot reads began on the driver (see ``session_rows``),
    so the connection is in no transaction afterwards (before an await, say)."""
    if session.in_transaction():
        session.commit()
    if session.info.get(_LOOP):
        session.bind.connection.dbapi_connection.commit()  # type: ignore[union-attr]


def session_row(session: Session, prepared: Prepared, **params: Any) -> Any:
    """``prepared``'s first row as a ``prepared.Row`` (attributes by column name), or None."""
    rows = session_rows(session, prepared, **params)
    return prepared.Row(*rows[0]) if rows else None


class HotReader:
    """One statement on a dedicated DBAPI connection (one per worker process).

    The connection is used in autocommit mode (SQLite: a SELECT outside a transaction;
    PostgreSQL: ``autocommit = True``), so every read sees the latest committed state: a revoke
    committed by any process is seen by the next token request here. A lock keeps it to one
    thread at a time; on a database error the connection is replaced once and the read
    retried.
    """

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        self._engine = engine
        self._prepared = Prepared(statement)
        self._error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._lock = threading.Lock()
        self._conn: Any = None
        # A forked child must not share its parent's connection: forget it in the child (this
        # replaces a getpid() system call per read).
        os.register_at_fork(after_in_child=self._forget)

    def _connect(self) -> Any:
        fairy = self._engine.raw_connection()  # runs the engine's connect hooks (SQLite pragmas)
        fairy.detach()  # ours for the life of the process, not the pool's
        conn: Any = fairy.dbapi_connection
        if self._engine.dialect.name == "postgresql":
            conn.autocommit = True
        return conn

    def fetchone(self, **params: Any) -> tuple[Any, ...] | None:
        args = self._prepared.args(self._engine.dialect, params)
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    # ``Connection.execute`` (sqlite3 and psycopg 3 alike): the cursor it makes
                    # is dropped with its result.
                    row = self._conn.execute(
                        self._prepared.compiled(self._engine.dialect).sql, args
                    ).fetchone()
                    return tuple(row) if row is not None else None
                except self._error:
                    self._discard()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _forget(self) -> None:
        self._conn = None
        self._lock = threading.Lock()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(self._error):
                conn.close()


class LoopConnection:
    """One SQLAlchemy connection per worker process, kept open for units of work that run from
    start to end on the event loop without a pause (the MCP lean path's cheap tools).

    A unit of work on a pooled session pays for a pool checkout, a new ``Connection`` and the
    pool's reset on return; on the MCP lean path that was about a tenth of a call. A unit of
    work here is a ``Session`` bound to this one connection, so it pays only for the
    transaction, and only if it uses the ORM: hot reads (``session_rows``) before that run on
    the connection as it is. Each unit of work then ends with the driver's own commit (or
    rollback, on an error), which ends what those reads began (PostgreSQL's driver opens a
    transaction for any statement; SQLite's none for a read) and is a no-op when the ORM has
    already committed. So no unit of work leaves the connection in a transaction, and each one
    reads the latest committed state: a revoke committed anywhere is seen by the next call.

    While one is open (a unit of work that did pause, say), ``session`` gives a pooled one
    instead, so two never share the connection. A database error drops the connection; the
    next unit of work opens a new one.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self._engine = factory.kw["bind"]
        self._conn: Connection | None = None
        self._session: Session | None = None
        self._busy = False
        os.register_at_fork(after_in_child=self._forget)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        if self._busy:
            with session_scope(self.factory) as pooled:
                yield pooled
            return
        self._busy = True
        try:
            conn = self._conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self._conn = self._engine.connect()
                self._session = Session(bind=conn, expire_on_commit=False, info={_LOOP: True})
            # One Session for the connection's life: ``close`` below ends each unit of work
            # and detaches what it loaded, and a closed Session can begin again.
            assert self._session is not None
            driver: Any = conn.connection.dbapi_connection
            try:
                with unit_of_work(self._session) as session:
                    yield session
            except BaseException:
                with contextlib.suppress(Exception):  # the error that got here is the one to raise
                    driver.rollback()
                raise
            driver.commit()
        except (DBAPIError, self._engine.dialect.loaded_dbapi.Error):
            self._drop()
            raise
        finally:
            self._busy = False

    def _drop(self) -> None:
        conn, self._conn, self._session = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()

    def _forget(self) -> None:
        self._conn = self._session = None
        self._busy = False
