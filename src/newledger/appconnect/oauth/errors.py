"""OAuth 2.0 error responses (RFC 6749 §5.2) and the token endpoint's response headers."""

from __future__ import annotations

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["NO_STORE", "OAuthError", "invalid_client", "json_response"]

# RFC 6749 §5.1: token responses and their errors must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error. ``reason`` is for the activity log only, never for the client."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
        app_id: int | None = None,
        company_id: int | None = None,
        client_id: str | None = None,
    ) -> None:
        super().__init__(description)
        # Which app and company the failure concerns, and the client id as presented, when
        # known before the client was authenticated (for the activity row; never sent back).
        self.app_id = app_id
        self.company_id = company_id
        self.client_id = client_id
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason or error
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, self.headers)


def invalid_client(
    reason: str,
    app_id: int | None = None,
    company_id: int | None = None,
    *,
    client_id: str | None = None,
) -> OAuthError:
    # RFC 6749 §5.2 asks for 401 + WWW-Authenticate when the client used the Authorization
    # header; RFC 9110 §15.5.2 requires WWW-Authenticate on every 401, so it is always sent.
    # One description for every reason: the client learns nothing about which check failed.
    return OAuthError(
        "invalid_client",
        "Client authentication failed",
        status=401,
        reason=reason,
        app_id=app_id,
        company_id=company_id,
        client_id=client_id,
        headers={"WWW-Authenticate": 'Basic realm="newledger", charset="UTF-8"'},
    )


_BASE_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]


class _JSONResponse(Response):
    """A ``Response`` whose headers are built from pre-encoded bytes and which sends itself in
    two plain ASGI messages: this is on the token endpoint's hot path, where Starlette's generic
    header handling and ``Response.__call__`` showed in the profile."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})

    def __init__(self, body: bytes, status: int, headers: dict[str, str] | None) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [
            *_BASE_HEADERS,
            (b"content-length", str(len(body)).encode()),
            *(
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (headers or {}).items()
            ),
        ]


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON with ``Cache-Control: no-store`` and ``Pragma: no-cache`` (RFC 6749 §5.1)."""
    return _JSONResponse(orjson.dumps(body), status, headers)
