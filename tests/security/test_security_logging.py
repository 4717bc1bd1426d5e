"""Secrets never reach logs through database errors.

An unexpected database error (a lock timeout, a constraint violation, a dropped connection)
escapes to the server's error log with its traceback, and SQLAlchemy's exception text normally
ends in ``[parameters: (...)]``: the bound values of the failing statement. Those values can be
a TOTP secret (enrolment), a session's CSRF token, or a secret digest.
"""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from newledger.db import make_engine, make_sessionmaker
from newledger.identity.models import User

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_failed_write_does_not_put_the_totp_secret_in_the_error_text(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    with sessions() as s:
        s.add(User(email="dup@example.test", name="dup", password_hash="x"))
        s.commit()
    # The engine exactly as the server builds it.
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as s:
            s.add(
                User(
                    email="dup@example.test",
                    name="dup",
                    password_hash="x",
                    totp_secret=TOTP_SECRET,
                )
            )
            with pytest.raises(IntegrityError) as caught:
                s.flush()
        assert isinstance(caught.value, DBAPIError)
        logged = "".join(traceback.format_exception(caught.value))
        assert TOTP_SECRET not in logged
        assert "hidden due to hide_parameters" in logged
    finally:
        engine.dispose()
