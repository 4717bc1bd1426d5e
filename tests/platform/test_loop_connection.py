"""``hotread.LoopConnection``: units of work on one kept connection, on the real database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from newledger.hotread import LoopConnection, Prepared, commit, session_rows
from newledger.identity.models import Company


def _dbapi(session: Session) -> object:
    return session.connection().connection.dbapi_connection


def _company(session: Session, slug: str) -> None:
    session.add(Company(slug=slug, name=slug.title(), home_currency="USD"))


def test_units_share_one_connection_and_see_every_commit(
    sessions: sessionmaker[Session],
) -> None:
    units = LoopConnection(sessions)
    with units.session() as first:
        kept = _dbapi(first)
        _company(first, "acme")
    with sessions() as other:  # another connection commits between the two units
        _company(other, "globex")
        other.commit()
    with units.session() as second:
        assert _dbapi(second) is kept
        slugs = set(second.scalars(select(Company.slug)))
    assert {"acme", "globex"} <= slugs


def test_a_unit_opened_inside_another_takes_a_pooled_session(
    sessions: sessionmaker[Session],
) -> None:
    units = LoopConnection(sessions)
    with units.session() as outer:
        kept = _dbapi(outer)
        with units.session() as inner:
            assert _dbapi(inner) is not kept
            _company(inner, "inner")
    with units.session() as after:
        assert _dbapi(after) is kept
        assert after.scalar(select(Company.id).where(Company.slug == "inner")) is not None


def test_a_failed_unit_leaves_nothing_written(sessions: sessionmaker[Session]) -> None:
    units = LoopConnection(sessions)
    with pytest.raises(RuntimeError), units.session() as session:
        _company(session, "halfway")
        session.flush()
        raise RuntimeError("the tool failed")
    with units.session() as session:
        assert session.scalar(select(Company.id).where(Company.slug == "halfway")) is None


def test_a_database_error_drops_the_connection(sessions: sessionmaker[Session]) -> None:
    units = LoopConnection(sessions)
    with units.session() as session:
        kept = _dbapi(session)
    with pytest.raises(DBAPIError), units.session() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    with units.session() as session:
        assert _dbapi(session) is not kept
        assert session.scalar(text("SELECT 1")) == 1


def test_a_failed_raw_read_is_sqlalchemys_error_without_its_values(
    sessions: sessionmaker[Session],
) -> None:
    units = LoopConnection(sessions)
    broken = Prepared(text("SELECT * FROM no_such_table WHERE secret = :secret"))
    with units.session() as session:
        kept = _dbapi(session)
    with pytest.raises(DBAPIError) as caught, units.session() as session:
        session_rows(session, broken, secret="nlat_do-not-log-me")
    assert "nlat_do-not-log-me" not in str(caught.value)
    with units.session() as session:  # the connection went with the error
        assert _dbapi(session) is not kept


_SLUGS = Prepared(select(Company.slug))


def _driver(session: Session) -> Any:
    return session.bind.connection.dbapi_connection  # type: ignore[union-attr]


def _in_transaction(driver: Any) -> bool:
    """Whether the driver holds a transaction open (psycopg opens one for any statement)."""
    if hasattr(driver, "info"):  # psycopg
        return bool(driver.info.transaction_status != driver.info.transaction_status.IDLE)
    return bool(driver.in_transaction)


def test_hot_reads_begin_no_orm_transaction_and_leave_none_open(
    sessions: sessionmaker[Session],
) -> None:
    units = LoopConnection(sessions)
    with units.session() as session:
        driver = _driver(session)
        session_rows(session, _SLUGS)
        assert not session.in_transaction()
    assert not _in_transaction(driver)
    with sessions() as other:  # committed elsewhere between two units of hot reads
        _company(other, "initech")
        other.commit()
    with units.session() as session:
        assert ("initech",) in session_rows(session, _SLUGS)
    assert not _in_transaction(driver)


def test_hot_reads_then_an_orm_write_commit_as_one_unit(sessions: sessionmaker[Session]) -> None:
    units = LoopConnection(sessions)
    with units.session() as session:
        session_rows(session, _SLUGS)
        _company(session, "hooli")
        session.flush()
        assert session_rows(session, Prepared(select(Company.slug))).count(("hooli",)) == 1
    with sessions() as other:
        assert other.scalar(select(Company.id).where(Company.slug == "hooli")) is not None


def test_a_failed_unit_after_hot_reads_writes_nothing_and_leaves_no_transaction(
    sessions: sessionmaker[Session],
) -> None:
    units = LoopConnection(sessions)
    with pytest.raises(RuntimeError), units.session() as session:
        driver = _driver(session)
        session_rows(session, _SLUGS)
        _company(session, "umbrella")
        session.flush()
        raise RuntimeError("the tool failed")
    assert not _in_transaction(driver)
    with sessions() as other:
        assert other.scalar(select(Company.id).where(Company.slug == "umbrella")) is None


def test_commit_ends_the_hot_reads_transaction_before_an_await(
    sessions: sessionmaker[Session],
) -> None:
    # What ``results.guarded`` does before a tool's hop to the thread pool.
    units = LoopConnection(sessions)
    with units.session() as session:
        driver = _driver(session)
        session_rows(session, _SLUGS)
        commit(session)
        assert not _in_transaction(driver)
        _company(session, "stark")
        commit(session)
        assert not _in_transaction(driver)
    with sessions() as other:
        assert other.scalar(select(Company.id).where(Company.slug == "stark")) is not None
