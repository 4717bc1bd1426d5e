"""The served HTTP protocol (``web/http_protocol.py``): a response with a Content-Length leaves
in one write, and nothing about HTTP/1.1 changes: keep-alive, pipelining, HEAD, streaming."""

from __future__ import annotations

import socket

import httpx

from tests.conftest import LiveServer


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
