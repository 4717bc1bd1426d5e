"""Engine, sessions and column types shared by every feature package."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "UTCDateTime",
    "begin_write",
    "make_engine",
    "make_sessionmaker",
    "session_scope",
    "unit_of_work",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which has no zones) and PostgreSQL."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _make_private_sqlite_file(url: str) -> None:
    """The books are for their owner only: create the SQLite file 0600 (in a 0700 directory when
    that is new) before SQLite opens it, and tighten an existing one. SQLite gives the -wal and
    -shm files it creates the database file's mode, so they are 0600 too."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    db_file = Path(path)
    if not db_file.parent.exists():
        db_file.parent.mkdir(mode=0o700, parents=True)
    try:
        os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for existing in (db_file, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(OSError):  # absent, or not ours to change
                existing.chmod(0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Database errors end up in the server's error log with their traceback; by default their
    # text ends in the statement's bound values, which can be a TOTP secret, a CSRF token or a
    # secret digest. Keep the SQL, never the values.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _make_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def begin_write(session: Session) -> None:
    """Make the rest of this unit of work a serialised writer, before it reads what it decides on.

    PostgreSQL needs nothing here: callers read the rows they change ``FOR UPDATE`` and the
    versioned documents compare-and-set their ``version``. SQLite ignores ``FOR UPDATE``, and
    pysqlite runs SELECTs outside any transaction (it opens one only before the first INSERT,
    UPDATE or DELETE), so "status is draft → post" would be an unprotected check-then-act across
    processes. ``BEGIN IMMEDIATE`` takes the database's write lock now (waiting up to the busy
    timeout), so the reads that follow see the latest commit and no other writer can slip in
    before this one commits. When pysqlite already opened a transaction, a write statement ran
    in it, so the write lock is already held.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work in a new session from ``factory``."""
    with unit_of_work(factory()) as session:
        yield session


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit ``session`` on success, roll back on any error, and close it either way.

    A closed Session can begin again, so callers that keep one (``hotread.LoopConnection``)
    use this for each unit of work too.
    """
    try:
        yield session
        if session.in_transaction():  # a unit of work already ended (committed) has nothing left
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
