"""``POST /oauth/token`` (RFC 6749 §3.2) and its ``client_credentials`` grant (§4.4).

Written as a plain Starlette route, not a FastAPI endpoint: no dependency resolution, no
validation models, a hand-parsed form and orjson. The fast path is one indexed SELECT, two
HMACs and no write (DESIGN §4, §9). It runs the SELECT on the event loop on purpose: it is a
sub-millisecond primary-key-style read, and a thread-pool hop per request would cost more than
it. Writes (the activity row of a refused request, the once-a-minute ``last_used_at``) go to the
thread pool, where a slow or locked database cannot stall the loop.

Other grants (``authorization_code``, ``refresh_token``) plug in with ``register_grant``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from newledger.appconnect.auth import LAST_USED_RESOLUTION, touch_last_used
from newledger.appconnect.oauth.client_auth import PresentedClient, read_client, read_form
from newledger.appconnect.oauth.clients import VerifiedApp, record_failure, verify_app_client
from newledger.appconnect.oauth.errors import OAuthError, json_response
from newledger.appconnect.oauth.ratelimit import SlidingWindowLimiter
from newledger.appconnect.tokens import issue_access_token
from newledger.config import get_settings
from newledger.db import session_scope, utcnow
from newledger.identity.permissions import Permission
from newledger.runtime import get_sessionmaker

__all__ = ["GrantHandler", "client_credentials_grant", "register_grant", "token_endpoint"]

GrantHandler = Callable[[Request, dict[str, str]], Awaitable[Response]]
_GRANTS: dict[str, GrantHandler] = {}


def register_grant(grant_type: str, handler: GrantHandler) -> None:
    _GRANTS[grant_type] = handler


async def token_endpoint(request: Request) -> Response:
    try:
        form = await read_form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        handler = _GRANTS.get(grant_type)
        if handler is None:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")
        return await handler(request, form)
    except OAuthError as exc:
        return exc.response()


@dataclass(frozen=True)
class Limits:
    per_client: SlidingWindowLimiter
    per_ip: SlidingWindowLimiter


@lru_cache(maxsize=1)
def limits() -> Limits:
    """Per-worker limiters from ``NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT``, ``…_PER_IP`` and
    ``NEWLEDGER_TOKEN_RATE_WINDOW_SECONDS`` (see ``oauth/ratelimit.py`` for the trade-off)."""
    s = get_settings()
    return Limits(
        SlidingWindowLimiter(s.token_rate_limit_per_client, s.token_rate_window_seconds),
        SlidingWindowLimiter(s.token_rate_limit_per_ip, s.token_rate_window_seconds),
    )


def too_many_requests(retry_after: int) -> OAuthError:
    return OAuthError(
        "temporarily_unavailable",
        "Too many token requests; retry later",
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


def check_ip_limit(request: Request) -> None:
    wait = limits().per_ip.hit(request.client.host if request.client else "-")
    if wait:
        raise too_many_requests(wait)


def check_client_limit(client_id: str) -> None:
    wait = limits().per_client.hit(client_id[:64])
    if wait:
        raise too_many_requests(wait)


def granted_scope(requested: str | None, app: VerifiedApp) -> frozenset[Permission]:
    """RFC 6749 §3.3: no (or an empty) scope means everything delegated; a scope may only
    narrow it. The result is further narrowed to what the app's creator holds now."""
    if requested is None or not requested.strip():
        wanted = app.delegated
    else:
        try:
            wanted = frozenset(Permission(name) for name in requested.split())
        except ValueError:
            raise OAuthError("invalid_scope", "Unknown scope", app_id=app.id) from None
        if not wanted <= app.delegated:
            raise OAuthError(
                "invalid_scope",
                "The scope exceeds what was delegated to this app",
                app_id=app.id,
                company_id=app.company_id,
            )
    granted = wanted & app.current
    if not granted:
        raise OAuthError(
            "invalid_scope",
            "The app's creator no longer holds any of the requested permissions",
            reason="no_effective_permissions",
            app_id=app.id,
            company_id=app.company_id,
        )
    return granted


def write_failure(exc: OAuthError, client_id: str, request: Request) -> None:
    with session_scope(get_sessionmaker()) as session:
        record_failure(session, exc, client_id, request)


def _write_last_used(app_id: int, now: dt.datetime) -> None:
    with session_scope(get_sessionmaker()) as session:
        touch_last_used(session, app_id, now)


def authenticate_app(client: PresentedClient) -> VerifiedApp:
    return verify_app_client(client)


async def client_credentials_grant(request: Request, form: dict[str, str]) -> Response:
    check_ip_limit(request)
    client = read_client(request, form)
    check_client_limit(client.client_id)
    try:
        app = authenticate_app(client)
        scope = granted_scope(form.get("scope"), app)
    except OAuthError as exc:
        await run_in_threadpool(write_failure, exc, client.client_id, request)
        raise
    token, claims = issue_access_token(
        kind="app",
        grant_id=app.id,
        grant_version=app.version,
        company_id=app.company_id,
        scope=scope,
    )
    now = utcnow()
    if app.last_used_at is None or now - app.last_used_at >= LAST_USED_RESOLUTION:
        await run_in_threadpool(_write_last_used, app.id, now)
    return json_response(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": claims.expires_at - claims.issued_at,
            "scope": " ".join(sorted(scope)),
        }
    )


register_grant("client_credentials", client_credentials_grant)
