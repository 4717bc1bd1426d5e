"""``POST /oauth/revoke`` (RFC 7009): access tokens of apps and OAuth clients, and OAuth
clients' refresh tokens.

A self-contained access token cannot be deleted, so revoking one puts its ``jti`` on a
deny-list that ``authenticate_bearer`` reads in the same statement as the grant's state. Rows
are kept only until the token would have expired anyway. Revoking a refresh token (``nlrt_``)
ends its connection's whole token family.

The client is authenticated, rate limited and its refusals recorded by ``endpoint.serve``,
exactly as at the token endpoint.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope

from newledger.actor import Actor
from newledger.appconnect import connections, secrets
from newledger.appconnect.models import OAuthConnection, RefreshToken, RevokedToken
from newledger.appconnect.oauth.app_credentials import VerifiedApp
from newledger.appconnect.oauth.client_auth import Requester
from newledger.appconnect.oauth.endpoint import serve
from newledger.appconnect.oauth.errors import NO_STORE, OAuthError
from newledger.appconnect.oauth.oauth_client_auth import VerifiedClient
from newledger.appconnect.secrets import ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX
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


async def _revoke(requester: Requester, form: dict[str, str]) -> Response:
    token = form.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is required")
    if token.startswith(ACCESS_TOKEN_PREFIX):
        return await _revoke_access_token(requester, token)
    if token.startswith(REFRESH_TOKEN_PREFIX) and isinstance(requester, VerifiedClient):
        await run_in_threadpool(_revoke_refresh_token, requester, token)
    return _ok()  # not a token of ours: nothing to revoke (§2.2)


def _foreign() -> OAuthError:
    # §2.1: a client may only revoke its own tokens.
    return OAuthError(
        "invalid_grant", "The token was not issued to this client", reason="foreign_token"
    )


async def _revoke_access_token(requester: Requester, token: str) -> Response:
    try:
        claims = parse_access_token(token)
    except AuthenticationFailed:
        return _ok()  # invalid or expired: nothing left to revoke (RFC 7009 §2.2)
    if isinstance(requester, VerifiedApp):
        if claims.kind != "app" or claims.grant_id != requester.id:
            raise _foreign()
        actor = Actor("app", requester.company_id, app_id=requester.id, label=requester.name)
        await run_in_threadpool(_deny, claims, actor, "app")
        return _ok()
    if claims.kind != "conn" or not await run_in_threadpool(_owns, requester, claims.grant_id):
        raise _foreign()
    actor = Actor("system", claims.company_id, label=requester.name)
    await run_in_threadpool(_deny, claims, actor, "connection")
    return _ok()


def _owns(client: VerifiedClient, connection_id: int) -> bool:
    with session_scope(get_sessionmaker()) as session:
        owner = session.scalar(
            select(OAuthConnection.client_pk).where(OAuthConnection.id == connection_id)
        )
    return owner == client.id


def _revoke_refresh_token(client: VerifiedClient, token: str) -> None:
    """§2.1: revoking a refresh token also ends the access tokens of its grant. Here the grant is
    the connection, whose only way to new tokens the refresh token is: it is revoked whole."""
    if not secrets.has_valid_checksum(token, secrets.REFRESH_TOKEN_PREFIX):
        return
    with session_scope(get_sessionmaker()) as session:
        row = session.execute(
            select(OAuthConnection.id, OAuthConnection.client_pk, OAuthConnection.company_id)
            .join(RefreshToken, RefreshToken.connection_id == OAuthConnection.id)
            .where(RefreshToken.token_digest == secrets.digest(token))
        ).first()
        if row is None:
            return
        if row.client_pk != client.id:
            raise _foreign()
        connections.revoke_family(
            session,
            row.id,
            reason="client_revoked",
            event=Event.TOKEN_REVOKED,
            actor=Actor("system", row.company_id, label=client.name),
        )


def _deny(claims: AccessToken, actor: Actor, subject_type: str) -> None:
    now = utcnow()
    with session_scope(get_sessionmaker()) as session:
        session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        if session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == claims.jti)):
            return
        expires = dt.datetime.fromtimestamp(claims.expires_at, dt.UTC)
        session.add(RevokedToken(jti=claims.jti, expires_at=expires))
        record(
            session,
            Event.TOKEN_REVOKED,
            actor,
            company_id=claims.company_id,
            subject_type=subject_type,
            subject_id=claims.grant_id,
            details={"jti": claims.jti},
        )
