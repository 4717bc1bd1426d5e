"""Security middleware for every response: strict headers, and CSRF checks on every
cookie-authenticated state change.

CSRF: each web session has its own random token (``web_sessions.csrf_token``). Any POST, PUT,
PATCH or DELETE that carries a live session cookie must echo it, in the ``X-CSRF-Token`` header or
the ``csrf_token`` form field, or it is refused with 403 before reaching a view. Requests without
the cookie (bearer-token API calls, OAuth token requests) carry no ambient authority and pass
through. The sign-in form, before any session exists, uses a pre-session token: an HMAC of a
random cookie value under the server key (a signed double-submit cookie), so anonymous visitors
create no database rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect, Request

from newledger.config import Settings, get_settings
from newledger.db import session_scope
from newledger.identity import sessions as web_sessions
from newledger.keys import derive_key
from newledger.runtime import get_sessionmaker
from newledger.web.error_pages import html_error

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MAX_FORM_BYTES",
    "CSRFMiddleware",
    "SecurityHeadersMiddleware",
    "add_security_headers",
    "clear_session_cookie",
    "presession_cookie_name",
    "presession_token",
    "read_form_body",
    "session_cookie_name",
    "set_session_cookie",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 16 * 1024 * 1024


# -- cookies ------------------------------------------------------------------------------------


def session_cookie_name(settings: Settings | None = None) -> str:
    # The __Host- prefix pins the cookie to this host, path / and Secure (RFC 6265bis §4.1.3.2).
    settings = settings or get_settings()
    return "__Host-nl_session" if settings.is_https else "nl_session"


def presession_cookie_name(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return "__Host-nl_presession" if settings.is_https else "nl_presession"


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        session_cookie_name(settings),
        token,
        max_age=settings.session_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
    )


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
    )


def presession_token(nonce: str) -> str:
    # A key of its own, derived from the server key like the token-signing and secret-digest
    # keys, so no other use of the server key can ever produce or check a form token.
    key = derive_key("presession-csrf")
    return hmac.new(key, b"presession:" + nonce.encode(), hashlib.sha256).hexdigest()


def new_presession_nonce() -> str:
    return secrets.token_urlsafe(32)


def set_presession_cookie(response: Response, nonce: str) -> None:
    settings = get_settings()
    response.set_cookie(
        presession_cookie_name(settings),
        nonce,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
    )


def tokens_match(expected: str, supplied: str | None) -> bool:
    return bool(expected) and bool(supplied) and hmac.compare_digest(expected, supplied or "")


# -- headers ------------------------------------------------------------------------------------


def add_security_headers(headers: MutableHeaders, *, hsts: bool | None = None) -> None:
    """The headers every response carries; a response's own values (a docs page's CSP) win."""
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if get_settings().is_https if hsts is None else hsts:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response. A response that sets its own
    ``Content-Security-Policy`` (for example API docs) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.hsts = get_settings().is_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                add_security_headers(MutableHeaders(scope=message), hsts=self.hsts)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            raise  # nobody to answer: the outermost layer (web/guard.py) ends it quietly
        except Exception:
            # An unhandled error is answered by Starlette's ServerErrorMiddleware, which sits
            # outside every user middleware, so its bare 500 would carry none of the headers
            # above (no CSP, no frame-ancestors). Answer here, through the same headers, and
            # re-raise so the error is still logged (ServerErrorMiddleware sends nothing more
            # once a response has started).
            if not started:
                response = html_error(
                    500, "Something went wrong", "Something went wrong on our side. Try again."
                )
                response.headers["Cache-Control"] = "no-store"
                await response(scope, receive, send_with_headers)
            raise


# -- CSRF ---------------------------------------------------------------------------------------


def _session_csrf(token: str) -> str | None:
    with session_scope(get_sessionmaker()) as db:
        row = web_sessions.find(db, token)
        return row.csrf_token if row is not None else None


class CSRFMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = Request(scope).cookies.get(session_cookie_name())
        expected = await run_in_threadpool(_session_csrf, cookie) if cookie else None
        if expected is None:
            # No live session: no ambient authority to abuse. Views needing one will redirect.
            await self.app(scope, receive, send)
            return
        supplied = headers.get(CSRF_HEADER)
        content_type = headers.get("content-type", "")
        if supplied is None and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            body = await read_form_body(receive)
            if body is None:
                await _refuse(scope, receive, send, 413, "Request too large")
                return
            supplied = await _form_field(scope, body, content_type)
            receive = _replay(body)
        if not tokens_match(expected, supplied):
            await _refuse(
                scope,
                receive,
                send,
                403,
                "This form has expired or did not come from NewLedger. "
                "Go back, reload the page and try again.",
            )
            return
        await self.app(scope, receive, send)


async def read_form_body(receive: Receive) -> bytes | None:
    """The whole body, or ``None`` past the form limit; a hang-up raises ``ClientDisconnect``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            # Half a form must never reach a view as if it were all of it.
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_field(scope: Scope, body: bytes, content_type: str) -> str | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    request = Request(scope, _replay(body))
    try:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    except Exception:  # a malformed body simply has no valid token
        return None
    finally:
        await request.close()


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    headers = Headers(scope=scope)
    wants_json = "application/json" in headers.get("accept", "") or headers.get(
        "content-type", ""
    ).startswith("application/json")
    response: Response
    if wants_json:
        response = JSONResponse({"error": "csrf_failed", "detail": message}, status_code=status)
    else:
        response = html_error(status, "Not allowed" if status == 403 else "Error", message)
    await response(scope, receive, send)
