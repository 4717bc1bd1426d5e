"""Authentication, permission and per-request context for REST API v1.

Every operation takes exactly one ``ApiContext`` parameter built by ``requires(permission)``::

    @router.get("/invoices")
    async def list_invoices(ctx: ApiContext = requires(Permission.INVOICES_READ)) -> Response:

``requires`` reads ``Authorization: Bearer``, authenticates it on the request's database session,
applies the per-app rate limit and checks the one permission. The permission is also attached to
the dependency so the OpenAPI document can state it per operation (``x-permission``).

Handlers are ``async def`` and call the synchronous services directly. The API's queries are
short indexed reads and small writes; a thread-pool hop per dependency and per handler costs more
than the query itself, and throughput comes from worker processes. Long-running work (reports)
is pushed to the thread pool explicitly.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger import ratelimit
from newledger.actor import Actor, actor_key
from newledger.appconnect.api.problems import ApiProblem
from newledger.appconnect.audience import rest_api_url
from newledger.appconnect.auth import authenticate_bearer, grant_of, refuse_permission
from newledger.appconnect.refusals import Origin, note_request_refusal
from newledger.db import session_scope
from newledger.errors import AuthenticationFailed
from newledger.identity.permissions import Permission
from newledger.runtime import get_sessionmaker

__all__ = ["ApiContext", "api_session", "etag_matches", "json_response", "requires"]


def etag_matches(header: str, tag: str) -> bool:
    """``If-None-Match`` (RFC 9110 §13.1.2): ``*`` or any listed tag, compared weakly."""
    if header.strip() == "*":
        return True
    mine = tag.removeprefix("W/")
    return any(part.strip().removeprefix("W/") == mine for part in header.split(","))


def _default(value: Any) -> Any:
    # orjson handles dates and datetimes; Decimal quantities are emitted as strings.
    return str(value)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data, default=_default),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


@dataclass
class ApiContext:
    """What a handler gets: the authenticated actor, its company and the request's session."""

    actor: Actor
    session: Session
    request: Request
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def company_id(self) -> int:
        assert self.actor.company_id is not None
        return self.actor.company_id

    def respond(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        """``data`` as JSON. A read of one object or a report carries an ``ETag`` (the
        version's, else a digest of the body) and is a bodiless 304 when ``If-None-Match``
        names it; a page of a list has none (a sync client reads changes with
        ``updated_since``), so the hot path hashes nothing."""
        merged = {**self.headers, **(headers or {})}
        if self.request.method not in ("GET", "HEAD") or "next_cursor" in data:
            return json_response(data, status, merged)
        body = orjson.dumps(data, default=_default)
        tag = merged.setdefault("ETag", f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"')
        wanted = self.request.headers.get("if-none-match")
        if wanted is not None and etag_matches(wanted, tag):
            return Response(status_code=304, headers=merged)
        return Response(body, status_code=status, media_type="application/json", headers=merged)


async def api_session() -> AsyncIterator[Session]:
    """The request's unit of work. Writes commit explicitly in their handler (so a failed commit
    is reported); the commit here keeps what reads leave behind, i.e. the coalesced
    ``last_used_at`` touch of ``authenticate_bearer``. Any error rolls everything back."""
    with session_scope(get_sessionmaker()) as session:
        yield session


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed(
            "A bearer token is required (Authorization: Bearer <token>).", code="token_missing"
        )
    return token


def requires(permission: Permission | None) -> Any:
    """The dependency for an operation that needs ``permission`` (``None``: any valid token)."""

    async def dependency(request: Request, session: Session = Depends(api_session)) -> ApiContext:
        origin = Origin(
            request.client.host if request.client else None, request.headers.get("user-agent")
        )
        actor = authenticate_bearer(
            session, bearer_token(request), resource=rest_api_url(), origin=origin
        )
        decision = ratelimit.hit(ratelimit.Rule.API_PER_GRANT, actor_key(actor))
        headers = decision.headers()
        request.state.rate_limit_headers = headers
        if not decision.allowed:
            note_request_refusal("rate_limited", actor.company_id, grant_of(actor), origin)
            raise ApiProblem(
                429,
                "rate_limited",
                f"Rate limit of {decision.limit} requests per minute exceeded.",
                headers=decision.refusal_headers(),
            )
        if permission is not None:
            refuse_permission(actor, permission, origin)
        return ApiContext(actor, session, request, headers)

    dependency.permission = permission  # type: ignore[attr-defined]
    return Depends(dependency)
