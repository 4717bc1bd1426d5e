"""The served HTTP protocol (``web/http_protocol.py``): a response with a Content-Length leaves
in one write, a complete token request is answered without ASGI, and nothing about HTTP/1.1
changes: keep-alive, pipelining, HEAD, streaming, 100-continue, chunked bodies, closing."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.config import Config
from uvicorn.server import ServerState

from newledger.web import http_protocol
from tests.conftest import LiveServer
from tests.support.appconnect import (
    Credential,
    basic,
    make_app,
    make_tenant,
    server_key,
    token_for,
)

__all__ = ["server_key"]


def _exchange(server: LiveServer, raw: bytes, until: bytes, count: int) -> bytes:
    """Send ``raw`` on one connection; read until ``until`` has been seen ``count`` times."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        got = b""
        while got.count(until) < count:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    return got


def test_pipelined_requests_on_one_connection_each_get_their_whole_response(
    live_server: LiveServer,
) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    got = _exchange(live_server, request * 3, b'"status":"ok"', 3)
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert got.count(b'"status":"ok"') == 3


def test_a_head_response_sends_its_headers_and_no_body(live_server: LiveServer) -> None:
    # If the header block were held for a body write that never comes, this would time out.
    got = _exchange(live_server, b"HEAD /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"\r\n\r\n", 1)
    assert got.startswith(b"HTTP/1.1 ") and got.endswith(b"\r\n\r\n")


def test_keep_alive_token_requests_and_errors_on_one_client(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        for _ in range(5):
            refused = client.post("/oauth/token", data={"grant_type": "client_credentials"})
            assert refused.status_code == 401
            assert refused.json()["error"] == "invalid_client"
            assert client.get("/healthz").json()["status"] == "ok"


# A complete ``POST /oauth/token`` is answered by the protocol itself; everything that does not
# fit that exactly goes through uvicorn and ASGI. Both must answer alike, on real connections.


def _token_request(cred: Credential, *, head: bytes = b"", path: bytes = b"/oauth/token") -> bytes:
    body = b"grant_type=client_credentials&scope=invoices:read"
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Authorization: "
        + basic(cred.client_id, cred.secret)["Authorization"].encode()
        + b"\r\n"
        + head
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


def _responses(raw: bytes) -> list[tuple[bytes, dict[bytes, bytes], bytes]]:
    """Split what a connection received into (status line, headers, body) per response."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, raw
        status, *lines = head.split(b"\r\n")
        headers = {k.lower(): v for k, _, v in (line.partition(b": ") for line in lines)}
        length = int(headers.get(b"content-length", b"0"))
        out.append((status, headers, rest[:length]))
        raw = rest[length:]
    return out


def _is_token(response: tuple[bytes, dict[bytes, bytes], bytes]) -> bool:
    status, headers, body = response
    return (
        status == b"HTTP/1.1 200 OK"
        and headers.get(b"cache-control") == b"no-store"
        and b"server" in headers
        and b"date" in headers
        and json.loads(body)["access_token"].startswith("nlat_")
    )


@pytest.fixture
def cred(server_key: None, sessions: sessionmaker[Session], live_server: LiveServer) -> Credential:
    """An app that has had its first token: that one also writes the app's ``last_used_at``, so
    it is answered by an ASGI task; the next ones, within the minute, by the protocol itself."""
    made = make_app(sessions, make_tenant(sessions))
    token_for(live_server.url, made)
    return made


def test_token_requests_pipelined_with_another_request_are_answered_in_order(
    live_server: LiveServer, cred: Credential
) -> None:
    token = _token_request(cred)
    health = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    got = _responses(_exchange(live_server, token + health + token + token, b"HTTP/1.1 ", 4))
    assert len(got) == 4
    assert [_is_token(r) for r in got] == [True, False, True, True]
    assert json.loads(got[1][2])["status"] == "ok"


def test_a_token_request_whose_body_arrives_after_its_headers_is_answered(
    live_server: LiveServer, cred: Credential
) -> None:
    request = _token_request(cred)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(request[:-12])
        time.sleep(0.3)  # the server has read the headers and part of the body by now
        sock.sendall(request[-12:])
        got = _read_responses(sock, 1)
    assert _is_token(got[0])


@pytest.mark.parametrize("wait", [True, False], ids=["waits", "sends the body at once"])
def test_a_token_request_expecting_100_continue_gets_it_then_its_token(
    live_server: LiveServer, cred: Credential, wait: bool
) -> None:
    request = _token_request(cred, head=b"Expect: 100-continue\r\n")
    head, _, body = request.partition(b"\r\n\r\n")
    continue_ = b"HTTP/1.1 100 Continue\r\n\r\n"
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        if wait:
            sock.sendall(head + b"\r\n\r\n")
            assert sock.recv(len(continue_)) == continue_
            sock.sendall(body)
        else:
            sock.sendall(request)
            got = b""
            while len(got) < len(continue_):
                got += sock.recv(len(continue_) - len(got))
            assert got == continue_
        got = _read_responses(sock, 1)
    assert _is_token(got[0])


def test_a_chunked_token_request_is_answered(live_server: LiveServer, cred: Credential) -> None:
    body = b"grant_type=client_credentials&scope=invoices:read"
    request = _token_request(cred).partition(b"Content-Length")[0] + (
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    )
    got = _responses(_exchange(live_server, request, b"access_token", 1))
    assert _is_token(got[0])


@pytest.mark.parametrize(
    "change",
    [
        (b"HTTP/1.1\r\n", b"HTTP/1.0\r\n"),
        (b"Host: 127.0.0.1\r\n", b"Host: 127.0.0.1\r\nConnection: close\r\n"),
    ],
    ids=["HTTP/1.0", "Connection: close"],
)
def test_a_token_request_that_closes_its_connection_is_answered_then_closed(
    live_server: LiveServer, cred: Credential, change: tuple[bytes, bytes]
) -> None:
    request = _token_request(cred).replace(*change, 1)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(request)
        got = b""
        while chunk := sock.recv(65536):  # until the server closes the connection
            got += chunk
    (response,) = _responses(got)
    assert response[1][b"connection"] == b"close"
    assert json.loads(response[2])["access_token"].startswith("nlat_")


def test_a_token_request_with_a_query_string_is_answered(
    live_server: LiveServer, cred: Credential
) -> None:
    request = _token_request(cred, path=b"/oauth/token?debug=1")
    got = _responses(_exchange(live_server, request, b"access_token", 1))
    assert _is_token(got[0])


def test_a_refused_token_request_then_a_token_on_one_connection(
    live_server: LiveServer, cred: Credential
) -> None:
    refused = _token_request(cred).replace(b"scope=invoices:read", b"scope=invoices:nope")
    token = _token_request(cred)
    got = _responses(_exchange(live_server, refused + token, b"HTTP/1.1 ", 2))
    assert got[0][0] == b"HTTP/1.1 400 Bad Request"
    assert json.loads(got[0][2])["error"] == "invalid_scope"
    assert _is_token(got[1])


def test_an_idle_connection_is_closed_after_a_token_answer(
    live_server: LiveServer, cred: Credential
) -> None:
    # uvicorn's keep-alive timeout (5 s) still applies after an answer it did not send itself.
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=15) as sock:
        sock.sendall(_token_request(cred))
        got = b""
        started = time.monotonic()
        while chunk := sock.recv(65536):
            got += chunk
        assert time.monotonic() - started < 14
    assert _is_token(_responses(got)[0])


def _read_responses(
    sock: socket.socket, count: int
) -> list[tuple[bytes, dict[bytes, bytes], bytes]]:
    got = b""
    while True:
        try:
            parsed = _responses(got)
        except (AssertionError, ValueError):
            parsed = []
        if len(parsed) >= count and all(
            len(body) == int(headers.get(b"content-length", b"0")) for _, headers, body in parsed
        ):
            return parsed
        chunk = sock.recv(65536)
        if not chunk:
            return _responses(got)
        got += chunk


def test_a_connection_in_use_outlives_the_keep_alive_timeout_then_closes_when_idle(
    live_server: LiveServer, cred: Credential
) -> None:
    # One keep-alive timer per connection (re-armed, not made per request): a request every
    # second for longer than the 5 s timeout keeps the connection; going idle closes it.
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=15) as sock:
        for _ in range(8):
            sock.sendall(_token_request(cred))
            assert _is_token(_read_responses(sock, 1)[0])
            time.sleep(1)
        idle_from = time.monotonic()
        assert sock.recv(65536) == b""  # closed by the server
        assert 3 < time.monotonic() - idle_from < 12


class _Transport(asyncio.Transport):
    """Just enough of a transport for a protocol object driven by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_an_error_in_a_directly_answered_token_request_is_a_500_that_closes_the_connection(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the database is gone")

    async def never_called(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the token request went through ASGI")

    monkeypatch.setattr(http_protocol, "answer_now", broken)

    async def scenario() -> _Transport:
        config = Config(app=never_called, log_level="warning", access_log=False)  # as served
        config.load()
        state = ServerState()
        state.default_headers = [(b"server", b"uvicorn")]
        protocol = http_protocol.OneWriteHttpToolsProtocol(config, state, {})
        transport = _Transport()
        protocol.connection_made(transport)
        body = b"grant_type=client_credentials"
        protocol.data_received(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        protocol.connection_lost(None)
        return transport

    transport = asyncio.run(scenario())
    (response,) = _responses(transport.written)
    assert response[0] == b"HTTP/1.1 500 Internal Server Error"
    assert response[1][b"connection"] == b"close"
    assert response[2] == b"Internal Server Error"
    assert transport.closed
    logged = capsys.readouterr().err  # uvicorn's error log, as for a failing ASGI app
    assert "Exception in ASGI application" in logged
    assert "the database is gone" in logged
