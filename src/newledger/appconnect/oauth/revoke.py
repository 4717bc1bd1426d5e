"""``POST /oauth/revoke`` (RFC 7009) for access tokens.

A self-contained token cannot be deleted, so revoking one puts its ``jti`` on a deny-list that
``authenticate_bearer`` reads in the same statement as the app's state. Rows are kept only
until the token would have expired anyway. Refresh tokens (``nlrt_``, OAuth connections) join
the dispatch in ``_revoke`` with the OAuth-for-MCP work.

The client is authenticated, rate limited and its refusals recorded by ``endpoint.serve``,
exactly as at the token endpoint.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy import delete, select
from starlette.responses import Response
from starlette.types import Receive, Scope

from newledger.actor import Actor
from newledger.appconnect.models import RevokedToken
from newledger.appconnect.oauth.app_credentials import VerifiedApp
from newledger.appconnect.oauth.client_auth import Requester
from newledger.appconnect.oauth.endpoint import Answer, WriteThen, serve
from newledger.appconnect.oauth.errors import NO_STORE, OAuthError
from newledger.appconnect.secrets import ACCESS_TOKEN_PREFIX
from newledger.appconnect.tokens import AccessToken, parse_access_token
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import session_scope, utcnow
from newledger.errors import AuthenticationFailed
from newledger.runtime import get_sessionmaker

__all__ = ["revoke_endpoint"]


def _ok() -> Response:
    # RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by clients.
    return Response(b"", status_code=200, headers=NO_STORE)


async def revoke_endpoint(scope: Scope, receive: Receive) -> Response:
    return await serve(scope, receive, "revoke", _revoke)


def _revoke(requester: Requester, form: dict[str, str]) -> Answer:
    token = form.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is required")
    if token.startswith(ACCESS_TOKEN_PREFIX):
        return _revoke_access_token(requester, token)
    return _ok()  # not a token of ours: nothing to revoke (§2.2)


def _revoke_access_token(app: VerifiedApp, token: str) -> Answer:
    try:
        claims = parse_access_token(token)
    except AuthenticationFailed:
        return _ok()  # invalid or expired: nothing left to revoke (RFC 7009 §2.2)
    if claims.kind != "app" or claims.grant_id != app.id:
        # §2.1: a client may only revoke its own tokens.
        raise OAuthError(
            "invalid_grant", "The token was not issued to this client", reason="foreign_token"
        )
    return WriteThen(partial(_deny, app, claims), _ok())


def _deny(app: VerifiedApp, claims: AccessToken) -> None:
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
        )
        record(
            session,
            Event.TOKEN_REVOKED,
            actor,
            subject_type="app",
            subject_id=app.id,
            details={"jti": claims.jti},
        )
