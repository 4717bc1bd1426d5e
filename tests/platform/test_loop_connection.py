"""``hotread.LoopConnection``: units of work on one kept connection, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from newledger.hotread import LoopConnection, Prepared, session_rows
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
