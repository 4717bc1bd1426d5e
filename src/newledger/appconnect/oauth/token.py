"""``POST /oauth/token`` (RFC 6749 §3.2): explicit dispatch to one plain function per grant.

``endpoint.serve`` has already read the form, authenticated the client, applied the rate
limits and will record any refusal; ``_token`` only picks the grant: ``client_credentials``
(§4.4) for API credential apps, ``authorization_code`` (``code_grant.py``) and
``refresh_token`` (``refresh_grant.py``) for OAuth clients.

Written as a plain Starlette route, not a FastAPI endpoint: no dependency resolution, no
validation models, a hand-parsed form and orjson. The fast path is one indexed SELECT, two
HMACs and no write (DESIGN §4, §9). It runs the SELECT on the event loop on purpose: it is a
sub-millisecond primary-key-style read, and a thread-pool hop per request would cost more than
it. The once-a-minute ``last_used_at`` write goes to the thread pool (``InThread``), where a
slow or locked database cannot stall the loop; so do the code and refresh grants, which write.

``answer_now`` is the same endpoint for a request whose whole body is in hand: the served HTTP
protocol calls it instead of going through ASGI (``web/http_protocol.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache, partial

from starlette.responses import Response
from starlette.types import Receive, Scope

from newledger.appconnect import audience
from newledger.appconnect.auth import last_used_stale, touch_last_used
from newledger.appconnect.models import App
from newledger.appconnect.oauth.app_credentials import VerifiedApp
from newledger.appconnect.oauth.client_auth import Requester
from newledger.appconnect.oauth.code_grant import authorization_code
from newledger.appconnect.oauth.endpoint import Answer, InThread, answer_whole, serve
from newledger.appconnect.oauth.errors import OAuthError, json_response
from newledger.appconnect.oauth.oauth_client_auth import VerifiedClient
from newledger.appconnect.oauth.refresh_grant import refresh_token
from newledger.appconnect.tokens import issue_access_token
from newledger.db import session_scope, utcnow
from newledger.identity.permissions import Permission
from newledger.runtime import get_sessionmaker

__all__ = ["answer_now", "client_credentials", "granted_scope", "token_endpoint"]


async def token_endpoint(scope: Scope, receive: Receive) -> Response:
    return await serve(scope, receive, "token", _token)


def answer_now(
    raw_headers: Iterable[tuple[bytes, bytes]], client: tuple[str, int] | None, body: bytes
) -> Answer:
    """``token_endpoint`` for a POST whose headers and whole body are in hand."""
    return answer_whole(raw_headers, client, body, "token", _token)


def _token(requester: Requester, form: dict[str, str]) -> Answer:
    """Each grant for its own kind of client: ``client_credentials`` for API credential apps,
    the code and refresh grants for OAuth clients (DESIGN §1: never interchangeable)."""
    grant_type = form.get("grant_type")
    match grant_type, requester:
        case "client_credentials", VerifiedApp():
            return client_credentials(requester, form)
        case "authorization_code", VerifiedClient():
            return authorization_code(requester, form)
        case "refresh_token", VerifiedClient():
            return refresh_token(requester, form)
        case "client_credentials" | "authorization_code" | "refresh_token", _:
            raise OAuthError(
                "unauthorized_client",
                "This client may not use this grant type",
                reason="grant_not_for_client",
            )
        case None | "", _:
            raise OAuthError("invalid_request", "grant_type is required")
        case _, _:
            raise OAuthError(
                "unsupported_grant_type",
                "Unsupported grant_type",
                reason="unsupported_grant_type",
            )


def client_credentials(app: VerifiedApp, form: dict[str, str]) -> Answer:
    """RFC 6749 §4.4, optionally bound to one resource (RFC 8707)."""
    scope = granted_scope(form.get("scope"), app)
    resource = _resource(form.get("resource"), app)
    token, claims = issue_access_token(
        kind="app",
        grant_id=app.id,
        grant_version=app.version,
        company_id=app.company_id,
        scope=scope,
        resource=resource,
    )
    response = json_response(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": claims.expires_at - claims.issued_at,
            "scope": " ".join(sorted(scope)),
        }
    )
    now = utcnow()
    if last_used_stale(app.last_used_at, now):
        return InThread.write_then(partial(_write_last_used, app.id, now), response)
    return response


def granted_scope(requested: str | None, app: VerifiedApp) -> frozenset[Permission]:
    """RFC 6749 §3.3: no (or an empty) scope means everything delegated; a scope may only
    narrow it. The result is further narrowed to what the app may do now (``effective``)."""
    if requested is None or not requested.strip():
        wanted = app.delegated
    else:
        wanted = _parse_scope(requested)
        if not wanted <= app.delegated:
            raise OAuthError(
                "invalid_scope",
                "The scope exceeds what was delegated to this app",
                reason="scope_not_delegated",
            )
    granted = wanted & app.effective
    if not granted:
        raise OAuthError(
            "invalid_scope",
            "The app's creator no longer holds any of the requested permissions",
            reason="no_effective_permissions",
        )
    return granted


@lru_cache(maxsize=512)
def _parse_scope(requested: str) -> frozenset[Permission]:
    """A scope string's permissions (cached: clients send the same few strings every time)."""
    try:
        return frozenset(Permission(name) for name in requested.split())
    except ValueError:
        raise OAuthError("invalid_scope", "Unknown scope", reason="unknown_scope") from None


def _resource(requested: str | None, app: VerifiedApp) -> str:
    """RFC 8707: the one resource the token may be used at, or ``""`` for a token that any
    of the app's company's REST endpoints accept (and MCP refuses)."""
    if requested is None or requested == "":
        return ""
    allowed = (
        audience.rest_api_url(),
        audience.generic_mcp_url(),
        audience.company_mcp_url(app.company_slug),
    )
    if requested not in allowed:
        raise OAuthError(
            "invalid_target",
            "resource must be this company's MCP URL, the generic MCP URL or the REST API URL",
            reason="invalid_resource",
        )
    return requested


def _write_last_used(app_id: int, now: dt.datetime) -> None:
    with session_scope(get_sessionmaker()) as session:
        touch_last_used(session, App, app_id, now)
