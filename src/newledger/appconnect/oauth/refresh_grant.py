"""``grant_type=refresh_token`` (RFC 6749 §6) for OAuth clients: rotation on every use.

Each use marks the presented refresh token used with a conditional ``UPDATE … WHERE used_at IS
NULL`` and issues a new one in the same transaction, so of two concurrent uses exactly one wins.
A used refresh token presented again, by the loser of such a race or by anyone later, means the
token family has leaked (RFC 9700 §4.14.2): the whole connection is revoked, its access tokens
with it, and REFRESH_TOKEN_REUSED is recorded. Refresh tokens unused for the idle lifetime
(``refresh_token_idle_days``) expire: each rotation starts a new idle window.
"""

from __future__ import annotations

from functools import lru_cache, partial

from sqlalchemy import update
from starlette.responses import Response

from newledger.appconnect import connections, secrets
from newledger.appconnect.auth import last_used_stale, touch_last_used
from newledger.appconnect.grants import (
    connection_grant,
    connection_with_user,
    delegated_permissions,
)
from newledger.appconnect.models import OAuthClient, OAuthConnection, RefreshToken
from newledger.appconnect.oauth.connection_tokens import (
    IssuedPair,
    check_resource,
    grant_actor,
    invalid_grant,
    issue_pair,
)
from newledger.appconnect.oauth.endpoint import InThread
from newledger.appconnect.oauth.errors import OAuthError, json_response
from newledger.appconnect.oauth.oauth_client_auth import VerifiedClient
from newledger.audit.tags import Event
from newledger.db import session_scope, utcnow
from newledger.identity.permissions import Permission
from newledger.runtime import get_sessionmaker

__all__ = ["refresh_token"]


class _Reused(Exception):
    def __init__(self, connection_id: int, company_id: int) -> None:
        self.connection_id = connection_id
        self.company_id = company_id


def refresh_token(client: VerifiedClient, form: dict[str, str]) -> InThread:
    token = form.get("refresh_token") or ""
    if not token:
        raise OAuthError("invalid_request", "refresh_token is required")
    if not secrets.has_valid_checksum(token, secrets.REFRESH_TOKEN_PREFIX):
        raise invalid_grant("Invalid refresh token", "malformed_refresh_token")
    digest = secrets.digest(token)
    return InThread(partial(_exchange, client, digest, form.get("scope"), form.get("resource")))


def _exchange(
    client: VerifiedClient, digest: str, scope: str | None, resource: str | None
) -> Response:
    """In the thread pool: rotate the refresh token (or, reused, revoke its whole family)."""
    try:
        pair = _rotate(client, digest, scope, resource)
    except _Reused as reuse:
        _revoke_family(reuse.connection_id, reuse.company_id)
        raise invalid_grant(
            "The refresh token was already used", "refresh_token_reused", reuse.company_id
        ) from None
    return json_response(pair.body())


_BY_DIGEST = (
    connection_with_user(
        OAuthConnection.id,
        OAuthConnection.company_id,
        OAuthConnection.client_pk,
        OAuthConnection.permissions,
        OAuthConnection.resource,
        OAuthConnection.version,
        OAuthConnection.revoked_at,
        OAuthConnection.deleted_at,
        OAuthConnection.last_used_at,
        OAuthClient.deleted_at.label("client_deleted_at"),
        RefreshToken.id.label("token_id"),
        RefreshToken.scope.label("token_scope"),
        RefreshToken.used_at,
        RefreshToken.revoked,
        RefreshToken.expires_at,
    )
    .join(RefreshToken, RefreshToken.connection_id == OAuthConnection.id)
    .join(OAuthClient, OAuthClient.id == OAuthConnection.client_pk)
)


def _rotate(
    client: VerifiedClient, token_digest: str, requested: str | None, resource: str | None
) -> IssuedPair:
    now = utcnow()
    with session_scope(get_sessionmaker()) as session:
        row = session.execute(_BY_DIGEST.where(RefreshToken.token_digest == token_digest)).first()
        if row is None:
            raise invalid_grant("Invalid refresh token", "unknown_refresh_token")
        company = row.company_id
        if row.client_pk != client.id:
            # §6: the refresh token must have been issued to the authenticated client.
            raise invalid_grant("Invalid refresh token", "refresh_token_other_client", company)
        if row.used_at is not None:
            raise _Reused(row.id, company)
        grant = connection_grant(row, role=row.role, is_active=row.is_active)
        if row.revoked or row.client_deleted_at is not None or not grant.status.live:
            status = "revoked" if grant.status.live else grant.status.value
            raise invalid_grant("The connection has ended", f"connection_{status}", company)
        if row.expires_at <= now:
            raise invalid_grant("The refresh token expired", "refresh_token_expired", company)
        check_resource(resource, row.resource, company)
        scope = _narrowed(requested, delegated_permissions(row.token_scope), company)
        granted = scope & grant.effective
        if not granted:
            raise invalid_grant(
                "The user no longer holds any of the requested permissions",
                "no_effective_permissions",
                company,
            )
        won = session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == row.token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked.is_(False),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if won != 1:
            raise _Reused(row.id, company)  # a concurrent use won; nothing of ours is kept
        if last_used_stale(row.last_used_at, now):
            touch_last_used(session, OAuthConnection, row.id, now)
        return issue_pair(
            session,
            connection_id=row.id,
            version=row.version,
            company_id=company,
            resource=row.resource,
            family_scope=row.token_scope,
            scope=granted,
            now=now,
        )


def _narrowed(
    requested: str | None, family: frozenset[Permission], company_id: int
) -> frozenset[Permission]:
    """§6: an optional ``scope`` may narrow the access token, never widen it."""
    if requested is None or not requested.strip():
        return family
    wanted = _parse(requested)
    if wanted is None or not wanted <= family:
        raise OAuthError(
            "invalid_scope",
            "The scope exceeds what was consented to",
            reason="scope_not_consented",
            company_id=company_id,
        )
    return wanted


@lru_cache(maxsize=256)
def _parse(requested: str) -> frozenset[Permission] | None:
    try:
        return frozenset(Permission(name) for name in requested.split())
    except ValueError:
        return None


def _revoke_family(connection_id: int, company_id: int) -> None:
    with session_scope(get_sessionmaker()) as session:
        connections.revoke_family(
            session,
            connection_id,
            reason="refresh_token_reuse",
            event=Event.REFRESH_TOKEN_REUSED,
            actor=grant_actor(company_id),
        )
