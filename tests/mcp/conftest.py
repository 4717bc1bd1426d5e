"""The MCP tests share the demo books (loaded once per database) and the session's live server."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import refusals
from newledger.db import make_sessionmaker
from tests.support.mcp import Demo, demo_books


@pytest.fixture
def books(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test database *without* wiping it: the demo books stay between tests
    (``demo_books`` loads them again if another test emptied the database)."""
    refusals.flush()
    return make_sessionmaker(engine)


@pytest.fixture
def demo(books: sessionmaker[Session]) -> Demo:
    return demo_books(books)
