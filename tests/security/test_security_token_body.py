"""The token endpoint stops reading a request body at its size limit: a client streaming an
endless body gets an error instead of the server buffering everything it sends."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.conftest import LiveServer


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
    return sock


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response: the server may send headers and body in separate writes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_endless_chunked_token_request_is_refused_without_reading_it_all(
    live_server: LiveServer,
) -> None:
    with _connect(live_server.url) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 4096
        for _ in range(16):  # 64 KiB, well past the 8 KiB limit, and never a last chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # The body never ends: only a server that stops at the limit answers at all.
        reply = _read_response(sock)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"invalid_request" in reply


def test_a_declared_oversized_token_request_is_refused(live_server: LiveServer) -> None:
    with _connect(live_server.url) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000000000\r\n\r\ngrant_type=client_credentials"
        )
        reply = _read_response(sock)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
