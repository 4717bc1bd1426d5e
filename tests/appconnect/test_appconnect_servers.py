"""Token endpoint behaviour that needs its own server processes: rate limits, what reaches the
server's stderr, and two ``newledger serve`` processes sharing one PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from tests.conftest import LiveServer
from tests.support.appconnect import (
    basic,
    fetch_token,
    make_app,
    make_tenant,
    server_key,
    token_for,
)

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")


@contextmanager
def serving(
    database_url: str, data_dir: Path, env: dict[str, str] | None = None, stderr: Path | None = None
) -> Iterator[LiveServer]:
    """A ``LiveServer``, optionally with its stderr sent to a file (the child inherits fd 2)."""
    saved = None
    if stderr is not None:
        saved = os.dup(2)
        fd = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        server = LiveServer(database_url, data_dir, env)
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    try:
        yield server
    finally:
        server.stop()


def test_too_many_token_requests_get_429_with_retry_after(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    limits = {
        "NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT": "3",
        "NEWLEDGER_TOKEN_RATE_LIMIT_PER_IP": "5",
        "NEWLEDGER_TOKEN_RATE_WINDOW_SECONDS": "60",
    }
    with serving(database_url, tmp_path, limits) as server:
        codes = [fetch_token(server.url, cred).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        limited = fetch_token(server.url, cred)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["error"] == "temporarily_unavailable"
        # Per IP: other client ids from the same address run out too.
        others = [
            httpx.post(
                f"{server.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                headers=basic(f"nlci_{i:017d}", "x"),
            ).status_code
            for i in range(3)
        ]
        assert others[-1] == 429


def test_secrets_and_tokens_never_reach_the_servers_log(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tenant = make_tenant(sessions)
    cred, other = make_app(sessions, tenant), make_app(sessions, tenant, name="Other")
    log = tmp_path / "stderr.log"
    with serving(database_url, tmp_path, stderr=log) as server:
        token = token_for(server.url, cred)
        assert fetch_token(server.url, cred, secret=other.secret).status_code == 401
        assert fetch_token(server.url, cred, secret=cred.secret + "x").status_code == 401
        httpx.post(
            f"{server.url}/oauth/revoke",
            data={"token": token},
            headers=basic(cred.client_id, cred.secret),
        )
        with sessions.begin() as session:
            apps.revoke_app(session, tenant.actor(session), cred.client_id)
        assert fetch_token(server.url, cred).status_code == 401
        me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
    text = log.read_text()
    for secret in (cred.secret, other.secret, token):
        assert secret not in text


@pytest.mark.postgres_only
def test_two_server_processes_behave_as_one(
    engine: Engine, database_url: str, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant, "company:read", "invoices:read")
    with (
        tempfile.TemporaryDirectory() as dir_a,
        tempfile.TemporaryDirectory() as dir_b,
        serving(database_url, Path(dir_a)) as a,
        serving(database_url, Path(dir_b)) as b,
    ):
        token = token_for(a.url, cred)

        def me(server: LiveServer) -> httpx.Response:
            return httpx.get(
                f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
            )

        # A token issued by one process works on the other.
        assert me(b).status_code == 200, me(b).text
        assert me(b).json()["app"]["client_id"] == cred.client_id
        # A revocation at one process is seen by the next request on the other.
        revoked = httpx.post(
            f"{a.url}/oauth/revoke",
            data={"token": token},
            headers=basic(cred.client_id, cred.secret),
        )
        assert revoked.status_code == 200
        assert me(b).status_code == 401
        # So is revoking the whole app.
        token = token_for(b.url, cred)
        assert me(a).status_code == 200
        with sessions.begin() as session:
            apps.revoke_app(session, tenant.actor(session), cred.client_id)
        assert me(a).status_code == 401
        assert me(b).status_code == 401
        assert fetch_token(a.url, cred).status_code == 401
