"""What the OAuth endpoints read from an HTTP request, read once, straight from ASGI.

``/oauth/token`` is NewLedger's hottest endpoint (DESIGN §9). Starlette's ``Request`` builds a
header multi-dict and reads the body through an async generator, which together cost more than
the endpoint's own checks, so the few headers these endpoints use are picked from the raw
header list in one pass and the body is read from ``receive`` directly, with its size limit.

``request_from`` builds the same request from a body already in hand: the served HTTP protocol
answers a complete token request without ASGI (``web/http_protocol.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import Receive, Scope

from newledger.appconnect.oauth.errors import OAuthError

__all__ = ["MAX_BODY", "OAuthRequest", "read_request", "request_from"]

MAX_BODY = 8192
_WANTED = frozenset({b"authorization", b"content-type", b"content-length", b"user-agent"})


@dataclass(frozen=True, slots=True)
class OAuthRequest:
    authorization: str | None
    content_type: str
    user_agent: str | None
    ip: str | None
    body: bytes


async def read_request(scope: Scope, receive: Receive) -> OAuthRequest:
    """Raise ``OAuthError`` for a body over ``MAX_BODY`` (declared or as it arrives): reading
    whatever a client sends (gigabytes, or a chunked body that never ends) is refused early.
    A repeated ``Authorization``, ``Content-Type`` or ``Content-Length`` is refused too."""
    headers = _pick(scope["headers"])
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise OAuthError("invalid_request", "The client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise OAuthError("invalid_request", "Request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return _request(headers, scope.get("client"), body)


def request_from(
    raw_headers: Iterable[tuple[bytes, bytes]], client: tuple[str, int] | None, body: bytes
) -> OAuthRequest:
    """``read_request`` for a request whose whole body has arrived: the same checks, the same
    errors."""
    headers = _pick(raw_headers)
    if len(body) > MAX_BODY:
        raise OAuthError("invalid_request", "Request body too large")
    return _request(headers, client, body)


def _pick(raw_headers: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    headers: dict[bytes, bytes] = {}
    for name, value in raw_headers:
        if name in _WANTED:
            if name in headers and name != b"user-agent":
                raise OAuthError("invalid_request", "A header was given more than once")
            headers.setdefault(name, value)
    declared = headers.get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise OAuthError("invalid_request", "Request body too large")
    return headers


def _request(
    headers: dict[bytes, bytes], client: tuple[str, int] | None, body: bytes
) -> OAuthRequest:
    return OAuthRequest(
        authorization=_text(headers.get(b"authorization")),
        content_type=_text(headers.get(b"content-type")) or "",
        user_agent=_text(headers.get(b"user-agent")),
        ip=client[0] if client else None,
        body=body,
    )


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
