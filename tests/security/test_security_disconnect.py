"""A client that hangs up in the middle of its request body ends the request quietly: nobody is
left to answer and nothing failed on our side, so no traceback or 500 reaches the server's log,
and half a form is never handled as if it were all of it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.appconnect import make_app, make_tenant, token_for


@pytest.fixture(scope="module")
def logged_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    where = tmp_path_factory.mktemp("disconnect")
    log = where / "stderr.log"
    server = LiveServer(database_url, where, stderr_path=log)
    yield server, log
    server.stop()


def _half_body(server: LiveServer, log: Path, head: bytes, body: bytes) -> str:
    """Send the head declaring the whole body, then half of the body, then hang up; return
    what the server logged meanwhile."""
    logged_before = log.stat().st_size
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head % len(body) + body[: len(body) // 2])
        time.sleep(0.3)  # let the server start on the request before the hang-up
    time.sleep(1.0)  # the server notices the hang-up and finishes the request
    assert httpx.get(server.url + "/healthz").status_code == 200
    with log.open("rb") as fh:
        fh.seek(logged_before)
        return fh.read().decode(errors="replace")


def _assert_quiet(logged: str) -> None:
    assert "Traceback" not in logged, logged[-3000:]
    assert "Exception in ASGI application" not in logged, logged[-3000:]


def test_hanging_up_mid_token_request_logs_nothing(
    logged_server: tuple[LiveServer, Path],
) -> None:
    server, log = logged_server
    logged = _half_body(
        server,
        log,
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
        b"grant_type=client_credentials&client_id=nlci_x&client_secret=" + b"s" * 200,
    )
    _assert_quiet(logged)


def test_hanging_up_mid_web_form_logs_nothing(logged_server: tuple[LiveServer, Path]) -> None:
    server, log = logged_server
    logged = _half_body(
        server,
        log,
        b"POST /signin HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
        b"email=someone%40example.com&password=" + b"p" * 500,
    )
    _assert_quiet(logged)


def test_hanging_up_mid_api_request_logs_nothing(
    logged_server: tuple[LiveServer, Path], sessions: sessionmaker[Session]
) -> None:
    server, log = logged_server
    token = token_for(server.url, make_app(sessions, make_tenant(sessions), "contacts:write"))
    logged = _half_body(
        server,
        log,
        b"POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
        b'{"name": "' + b"n" * 500 + b'", "kind": "customer"}',
    )
    _assert_quiet(logged)
