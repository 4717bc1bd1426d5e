"""``POST /oauth/revoke`` (RFC 7009) for access tokens.

A self-contained token cannot be deleted, so revoking one puts its ``jti`` on a deny-list that
``authenticate_bearer`` reads in the same statement as the app's state. Rows are kept only
until the token would have expired anyway. Other token types (refresh tokens of OAuth
connections) plug in with ``register_revoker``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from newledger.actor import Actor
from newledger.appconnect.models import RevokedToken
from newledger.appconnect.oauth.client_auth import read_client, read_form
from newledger.appconnect.oauth.clients import VerifiedApp
from newledger.appconnect.oauth.errors import NO_STORE, OAuthError
from newledger.appconnect.oauth.token import (
    authenticate_app,
    check_client_limit,
    check_ip_limit,
    write_failure,
)
from newledger.appconnect.secrets import ACCESS_TOKEN_PREFIX
from newledger.appconnect.tokens import AccessToken, parse_access_token
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import session_scope, utcnow
from newledger.errors import AuthenticationFailed
from newledger.runtime import get_sessionmaker

__all__ = ["register_revoker", "revoke_endpoint"]

Revoker = Callable[[Request, dict[str, str]], Awaitable[Response]]
_REVOKERS: dict[str, Revoker] = {}


def register_revoker(prefix: str, revoker: Revoker) -> None:
    """Route tokens with this prefix (e.g. ``nlrt_``) to another grant's revocation."""
    _REVOKERS[prefix] = revoker


def _ok() -> Response:
    # RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by clients.
    return Response(b"", status_code=200, headers=NO_STORE)


async def revoke_endpoint(request: Request) -> Response:
    try:
        form = await read_form(request)
        token = form.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        for prefix, revoker in _REVOKERS.items():
            if token.startswith(prefix):
                return await revoker(request, form)
        return await _revoke_access_token(request, form, token)
    except OAuthError as exc:
        return exc.response()


async def _revoke_access_token(request: Request, form: dict[str, str], token: str) -> Response:
    check_ip_limit(request)
    client = read_client(request, form)
    check_client_limit(client.client_id)
    try:
        app = authenticate_app(client)
    except OAuthError as exc:
        await run_in_threadpool(write_failure, exc, client.client_id, request)
        raise
    if not token.startswith(ACCESS_TOKEN_PREFIX):
        return _ok()
    try:
        claims = parse_access_token(token)
    except AuthenticationFailed:
        return _ok()  # invalid or expired: nothing left to revoke (RFC 7009 §2.2)
    if claims.kind != "app" or claims.grant_id != app.id:
        # §2.1: a client may only revoke its own tokens.
        raise OAuthError("invalid_grant", "The token was not issued to this client")
    await run_in_threadpool(_deny, app, claims, request)
    return _ok()


def _deny(app: VerifiedApp, claims: AccessToken, request: Request) -> None:
    now = utcnow()
    with session_scope(get_sessionmaker()) as session:
        session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        if session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == claims.jti)):
            return
        expires = dt.datetime.fromtimestamp(claims.expires_at, dt.UTC)
        session.add(RevokedToken(jti=claims.jti, expires_at=expires))
        actor = Actor(
            "app",
            app.company_id,
            app_id=app.id,
            label=app.name,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        record(
            session,
            Event.TOKEN_REVOKED,
            actor,
            subject_type="app",
            subject_id=app.id,
            details={"jti": claims.jti},
        )
