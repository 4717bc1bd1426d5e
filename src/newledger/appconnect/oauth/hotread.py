"""The token endpoint's one read, on a dedicated DBAPI connection (one per worker process).

A token request needs exactly one indexed SELECT. Through SQLAlchemy's pooled ``Connection``,
checkout, statement caching, result wrapping and type processing cost more CPU than the query
itself (profiled: about a third of the request). Here the statement is compiled once by
SQLAlchemy for the engine's dialect and then run on a plain DBAPI cursor.

The connection is used in autocommit mode (SQLite: a SELECT outside a transaction; PostgreSQL:
``autocommit = True``), so every read sees the latest committed state: a revoke committed by any
process is seen by the next token request here. A lock keeps it to one thread at a time; on a
database error the connection is replaced once and the read retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.sql import ClauseElement

__all__ = ["HotReader", "as_utc"]


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


class HotReader:
    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        self._engine = engine
        compiled = statement.compile(dialect=engine.dialect)
        self._sql = compiled.string
        self._positional: Sequence[str] | None = getattr(compiled, "positiontup", None)
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
        names = self._positional
        args: Any = [params[name] for name in names] if names else params
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    # ``Connection.execute`` (sqlite3 and psycopg 3 alike): the cursor it makes
                    # is dropped with its result.
                    row = self._conn.execute(self._sql, args).fetchone()
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
