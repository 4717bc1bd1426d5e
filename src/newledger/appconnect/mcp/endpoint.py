"""The ASGI entry point for ``/mcp`` and ``/mcp/{slug}``: checks, then the lean path or the SDK.

Per request, in order:

1. Host and Origin against the public URL (DNS-rebinding protection, the SDK's own check).
2. The bearer token, by ``authenticate_bearer`` as REST does (one HMAC, one indexed read, no
   cache, so a revoke is seen by the next call). It must be bound to this exact URL (RFC 8707):
   the token endpoint binds ``/mcp/{slug}`` only for the app's own company, so the URL's company
   is the token's; for the generic ``/mcp`` the company is simply the token's. A token without a
   resource is refused here (it may still call REST).
3. A ``tools/call`` the token may not make: 403 ``insufficient_scope`` with every scope the
   tool needs, before it runs.
4. The per-grant rate limit (the shared ``ratelimit`` module).
5. The call, in the same unit of work: the lean path (``lean.py``) for plain stateless JSON
   requests, the SDK's stateless transport for everything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from mcp.server.transport_security import TransportSecurityMiddleware
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newledger import ratelimit
from newledger.actor import Actor, actor_key
from newledger.appconnect.audience import company_mcp_url, generic_mcp_url
from newledger.appconnect.auth import authenticate_bearer, grant_of
from newledger.appconnect.mcp import lean
from newledger.appconnect.mcp.call import SCOPE_KEY, McpCall
from newledger.appconnect.mcp.challenge import forbidden, rate_limited, unauthorized
from newledger.appconnect.mcp.server import McpServer, build_server, security_settings
from newledger.appconnect.mcp.toolcall import ToolCalls
from newledger.appconnect.mcp.tools import required
from newledger.appconnect.oauth.cors import preflight
from newledger.appconnect.refusals import Origin, note_request_refusal
from newledger.config import get_settings
from newledger.db import session_scope
from newledger.errors import AuthenticationFailed
from newledger.hotread import LoopConnection
from newledger.identity.models import Company
from newledger.runtime import get_sessionmaker

__all__ = ["MAX_BODY_BYTES", "McpEndpoint", "McpRoutes"]

MAX_BODY_BYTES = 1024 * 1024
_PREFIX = "/mcp"
# Streamable HTTP uses POST (messages), GET (the event stream) and DELETE (end a session).
_METHODS = "GET, POST, DELETE, OPTIONS"


def _slug_of(path: str) -> str | bool | None:
    """``None`` for ``/mcp``, the slug for ``/mcp/{slug}``, ``False`` for any other path."""
    if path == _PREFIX:
        return None
    rest = path[len(_PREFIX) + 1 :] if path.startswith(_PREFIX + "/") else ""
    return rest if rest and "/" not in rest else False


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or ``None`` past ``MAX_BODY_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class McpEndpoint:
    """One instance per process; ``lean`` off sends every request to the SDK transport (the
    parity tests compare the two)."""

    def __init__(self, server: McpServer | None = None, *, lean_path: bool | None = None) -> None:
        self.server = server or build_server()
        self.lean_path = get_settings().mcp_lean_path if lean_path is None else lean_path
        self._security = TransportSecurityMiddleware(security_settings())
        self._units: LoopConnection | None = None
        self._tools = ToolCalls.for_server(self.server)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.server.running():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slug = _slug_of(scope["path"])
        if slug is False:
            await Response(status_code=404)(scope, receive, send)
            return
        assert slug is None or isinstance(slug, str)
        if scope["method"] == "OPTIONS":  # a browser client's CORS preflight
            await preflight(_METHODS)(scope, receive, send)
            return
        request = Request(scope, receive)
        rebinding = await self._security.validate_request(request, is_post=False)
        if rebinding is not None:
            await rebinding(scope, receive, send)
            return
        token = _bearer(scope)
        if token is None:
            if slug is not None and not _company_exists(slug):
                # No resource to discover. (With a token, the audience check answers instead:
                # the token endpoint binds only an existing company's URL.)
                await Response(status_code=404)(scope, receive, send)
                return
            detail = "A bearer token is required (Authorization: Bearer <token>)."
            await unauthorized(slug, detail, token_given=False)(scope, receive, send)
            return
        body = b""
        message: Any = None
        if scope["method"] == "POST":
            read = await _read_body(receive)
            if read is None:
                await Response("Request body too large", status_code=413)(scope, receive, send)
                return
            body = read
            try:
                message = orjson.loads(body)
            except orjson.JSONDecodeError:
                message = None
        taken = lean.take(scope, message) if self.lean_path and body else None
        if taken is not None:
            reply = await self._lean(scope, request, token, slug, message, taken)
            if isinstance(reply, Response):
                await reply(scope, receive, send)
            else:
                await _send_json(send, reply.status, reply.body)
            return
        refused: Response | None = None
        with session_scope(get_sessionmaker()) as session:
            admitted = _admit(session, token, slug, _origin(scope), message)
            if isinstance(admitted, Response):
                refused = admitted
            else:
                scope[SCOPE_KEY] = McpCall(admitted, session, slug or "", _origin(scope))
                # The SDK transport pauses (tasks, streams): end the read transaction first, so
                # no pooled connection (and, on SQLite, no write lock from the coalesced
                # last_used_at) is held across its awaits.
                session.commit()
                await self.server.manager.handle_request(scope, _replay(body, receive), send)
        if refused is not None:
            await refused(scope, receive, send)

    async def _lean(
        self,
        scope: Scope,
        request: Request,
        token: str,
        slug: str | None,
        message: dict[str, Any],
        taken: lean.Taken,
    ) -> lean.LeanReply | Response:
        """The checks and the call on the lean path: the reply, or the refusal to send."""
        origin = _origin(scope)
        factory = get_sessionmaker()
        if self._units is None or self._units.factory is not factory:
            self._units = LoopConnection(factory)
        with self._units.session() as session:
            admitted = _admit(session, token, slug, origin, message)
            if isinstance(admitted, Response):
                return admitted
            call = scope[SCOPE_KEY] = McpCall(admitted, session, slug or "", origin)
            # One unit of work for the token check and the call, on the worker's own
            # connection (``LoopConnection``): a tool on the event loop runs without a pause
            # from here to its end; a tool that goes to the thread pool ends this unit of work
            # before it goes and takes a pooled session there (``results.guarded``).
            return await lean.answer(self.server, request, message, taken, call, self._tools)


def _origin(scope: Scope) -> Origin:
    """Who sent the request, for refusals recorded in the activity log."""
    client = scope.get("client")
    agent = _header(scope, b"user-agent")
    return Origin(client[0] if client else None, agent.decode("latin-1") if agent else None)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _admit(
    session: Session, token: str, slug: str | None, origin: Origin, message: Any
) -> Actor | Response:
    """The token check, the tool's permissions and the rate limit: the actor, or the refusal
    to send (once the unit of work has ended)."""
    resource = company_mcp_url(slug) if slug else generic_mcp_url()
    try:
        actor = authenticate_bearer(session, token, resource=resource, origin=origin, source="mcp")
    except AuthenticationFailed as exc:
        return unauthorized(slug, str(exc), token_given=True)
    needed = _tool_permissions(message)
    if needed and not all(actor.can(p) for p in needed):
        missing = " ".join(p.value for p in needed if not actor.can(p))
        note_request_refusal(
            "missing_permission", actor.company_id, grant_of(actor), origin, permission=missing
        )
        return forbidden(slug, str(message["params"]["name"]), needed)
    decision = ratelimit.hit(ratelimit.Rule.MCP_PER_GRANT, actor_key(actor))
    if not decision.allowed:
        note_request_refusal("rate_limited", actor.company_id, grant_of(actor), origin)
        detail = f"Rate limit of {decision.limit} calls per minute exceeded."
        return rate_limited(detail, decision.refusal_headers())
    return actor


def _company_exists(slug: str) -> bool:
    with session_scope(get_sessionmaker()) as session:
        return session.scalar(select(Company.id).where(Company.slug == slug)) is not None


def _tool_permissions(message: Any) -> tuple[Any, ...]:
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return ()
    params = message.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("name"), str):
        return ()
    return required(params["name"], params.get("arguments"))


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class McpRoutes:
    """Answers ``/mcp`` and ``/mcp/{slug}`` in front of the web app (as ``OAuthEndpoints`` does
    for ``/oauth``: none of the UI's middleware applies to a bearer-only JSON endpoint) and runs
    the SDK transport in the application's lifespan."""

    def __init__(self, app: ASGIApp, endpoint: McpEndpoint | None = None) -> None:
        self.app = app
        self.endpoint = endpoint or McpEndpoint()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == _PREFIX or path.startswith(_PREFIX + "/")):
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the inner app's lifespan inside the SDK transport's."""
        async with self.endpoint.running():
            await self.app(scope, receive, send)
