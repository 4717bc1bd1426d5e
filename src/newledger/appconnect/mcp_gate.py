"""``/mcp`` and ``/mcp/{company}`` until the MCP server arrives (issue 10 replaces this module).

What MCP clients need before there is a server is the authorization half (MCP authorization
spec, RFC 9728 §5.1, RFC 6750 §3):

- no token: 401 with ``WWW-Authenticate: Bearer resource_metadata="…", scope="…"``, which is
  where discovery starts;
- a token refused (by ``authenticate_bearer`` for this URL and its company, or one not bound to
  exactly this URL by RFC 8707 ``resource``): 401 ``error="invalid_token"``, same challenge;
- a valid token: a JSON 501 saying the server itself is not there yet.

An unknown company is a 404: there is no resource to discover.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from newledger.appconnect import audience
from newledger.appconnect.auth import Origin, authenticate_bearer
from newledger.appconnect.oauth.cors import PUBLIC, preflight
from newledger.appconnect.oauth.metadata import resource_metadata_url
from newledger.appconnect.refusals import note_request_refusal
from newledger.appconnect.scopes import DEFAULT_SCOPES, scope_string
from newledger.appconnect.tokens import TokenRefused, parse_access_token
from newledger.db import session_scope
from newledger.errors import AuthenticationFailed
from newledger.identity.models import Company
from newledger.runtime import get_sessionmaker

__all__ = ["challenge", "router"]

router = APIRouter(include_in_schema=False)
# Streamable HTTP uses POST (messages), GET (the event stream) and DELETE (end a session).
_METHODS = ["GET", "POST", "DELETE", "OPTIONS"]


@router.api_route("/mcp", methods=_METHODS)
async def generic_mcp(request: Request) -> Response:
    return await _gate(request, None)


# The name is how the settings pages tell that the company MCP URL is served (keep it).
@router.api_route("/mcp/{slug}", methods=_METHODS, name="company_mcp")
async def company_mcp(request: Request, slug: str) -> Response:
    return await _gate(request, slug)


async def _gate(request: Request, slug: str | None) -> Response:
    if request.method == "OPTIONS":
        return preflight(", ".join(_METHODS))
    origin = Origin(
        request.client.host if request.client else None, request.headers.get("user-agent")
    )
    return await run_in_threadpool(_answer, request.headers.get("authorization"), slug, origin)


def challenge(slug: str | None, error: str | None = None, description: str = "") -> Response:
    """401 with the RFC 9728 §5.1 challenge (plus the RFC 6750 error when a token was sent)."""
    params = []
    if error:
        safe = description.replace('"', "'").replace("\\", "/")
        params += [f'error="{error}"', f'error_description="{safe}"']
    params += [
        f'resource_metadata="{resource_metadata_url(slug)}"',
        f'scope="{scope_string(DEFAULT_SCOPES)}"',
    ]
    body = {
        "error": error or "unauthorized",
        "error_description": description or "Connect this MCP client to NewLedger first",
    }
    headers = {**PUBLIC, "WWW-Authenticate": "Bearer " + ", ".join(params)}
    return JSONResponse(body, status_code=401, headers=headers)


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _answer(authorization: str | None, slug: str | None, origin: Origin) -> Response:
    resource = audience.company_mcp_url(slug) if slug is not None else audience.generic_mcp_url()
    with session_scope(get_sessionmaker()) as session:
        company_id = None
        if slug is not None:
            company_id = session.scalar(select(Company.id).where(Company.slug == slug))
            if company_id is None:
                body = {"error": "not_found", "error_description": "No company has this MCP URL"}
                return JSONResponse(body, status_code=404, headers=PUBLIC)
        token = _bearer(authorization)
        if token is None:
            return challenge(slug)
        try:
            _require_audience(token, resource, origin)
            authenticate_bearer(
                session, token, resource=resource, company_id=company_id, origin=origin
            )
        except AuthenticationFailed as exc:
            return challenge(slug, "invalid_token", exc.message)
    body = {
        "error": "not_implemented",
        "error_description": "The MCP server arrives with issue 10; this token is valid here.",
    }
    return JSONResponse(body, status_code=501, headers=PUBLIC)


def _require_audience(token: str, resource: str, origin: Origin) -> None:
    """An MCP URL accepts only tokens bound to exactly it (RFC 8707, DESIGN §5). A token with
    no ``resource`` (an app's REST token) passes ``authenticate_bearer``'s check, which only
    compares a resource that is there, so it is refused here. An unreadable token is left to
    ``authenticate_bearer``, which records why."""
    try:
        claims = parse_access_token(token)
    except TokenRefused:
        return
    if claims.resource != resource:
        note_request_refusal(
            "foreign_resource" if claims.resource else "no_resource",
            claims.company_id,
            (claims.kind, claims.grant_id),
            origin,
        )
        raise AuthenticationFailed("Token was not issued for this MCP URL", code="invalid_token")
