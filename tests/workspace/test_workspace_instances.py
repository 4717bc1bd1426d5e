"""Two app processes on one PostgreSQL database behave as one workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.workspace import client, csrf, make_person, session_cookie, sign_in


@pytest.fixture
def second_server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(database_url, Path(tmp_path_factory.mktemp("second")))
    yield server
    server.stop()


@pytest.mark.postgres_only
def test_signing_out_on_one_instance_ends_the_session_on_another(
    live_server: LiveServer, second_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "scale@example.com", with_2fa=True)
    with client(live_server.url) as a, client(second_server.url) as b:
        sign_in(a, person)
        cookie = session_cookie(a)
        assert cookie
        b.cookies.set("nl_session", cookie, domain="127.0.0.1", path="/")
        page = b.get("/")
        assert page.status_code == 200 and person.email in page.text
        # The CSRF token issued by one instance is valid on the other (it lives in the DB).
        assert b.get("/account/security").status_code == 200
        assert a.post("/signout", data={"csrf_token": csrf(page.text)}).status_code == 303
        assert b.get("/").status_code == 303
        assert b.get("/account/security").headers["location"].startswith("/signin")
