"""``grant_type=authorization_code`` (RFC 6749 §4.1.3) for OAuth clients, with PKCE (RFC 7636)
and the RFC 8707 resource: redeeming a code creates the connection and its first token pair.

Single use is decided by the database, not by a read: the code is marked redeemed by a
conditional ``UPDATE … WHERE redeemed_at IS NULL`` in the same transaction that creates the
connection. Of two concurrent redemptions exactly one updates a row; the other finds none, its
transaction (connection included) is rolled back, and it is handled as what it is, a second
redemption. A second redemption, concurrent or later, fails and revokes everything the first one
issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4): a code presented twice has leaked.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger.appconnect import connections, secrets
from newledger.appconnect.grants import connection_grant
from newledger.appconnect.models import AuthorizationCode
from newledger.appconnect.oauth import pkce
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
from newledger.identity.models import Membership, User
from newledger.runtime import get_sessionmaker

__all__ = ["authorization_code"]


class _Replayed(Exception):
    """The code was already redeemed (earlier, or by a concurrent request that won)."""

    def __init__(self, code_id: int) -> None:
        self.code_id = code_id


def authorization_code(client: VerifiedClient, form: dict[str, str]) -> InThread:
    code = form.get("code") or ""
    redirect_uri = form.get("redirect_uri") or ""
    verifier = form.get("code_verifier") or ""
    if not code:
        raise OAuthError("invalid_request", "code is required")
    if not redirect_uri:
        raise OAuthError("invalid_request", "redirect_uri is required")
    if not verifier:
        # OAuth 2.1: every code has an S256 challenge, so a redemption without the verifier is
        # refused (a "downgrade" that drops PKCE at the token endpoint).
        raise OAuthError(
            "invalid_request", "code_verifier is required (PKCE)", reason="pkce_verifier_missing"
        )
    if not secrets.has_valid_checksum(code, secrets.AUTHORIZATION_CODE_PREFIX):
        raise invalid_grant("Invalid authorization code", "malformed_code")
    digest = secrets.digest(code)
    return InThread(
        partial(_exchange, client, digest, redirect_uri, verifier, form.get("resource"))
    )


def _exchange(
    client: VerifiedClient, digest: str, redirect_uri: str, verifier: str, resource: str | None
) -> Response:
    """In the thread pool: redeem the code (or, replayed, revoke what it issued)."""
    try:
        pair = _redeem(client, digest, redirect_uri, verifier, resource)
    except _Replayed as replay:
        company_id = _revoke_first_redemption(replay.code_id)
        raise invalid_grant(
            "The authorization code was already used", "code_replayed", company_id
        ) from None
    return json_response(pair.body())


def _redeem(
    client: VerifiedClient,
    code_digest: str,
    redirect_uri: str,
    verifier: str,
    resource: str | None,
) -> IssuedPair:
    with session_scope(get_sessionmaker()) as session:
        code = session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_digest == code_digest)
        )
        if code is None:
            raise invalid_grant("Invalid authorization code", "unknown_code")
        if code.redeemed_at is not None:
            raise _Replayed(code.id)
        _check(code, client, redirect_uri, verifier, resource)
        return _issue(session, code)


def _check(
    code: AuthorizationCode,
    client: VerifiedClient,
    redirect_uri: str,
    verifier: str,
    resource: str | None,
) -> None:
    """Every binding of the code, each refused as ``invalid_grant`` (§5.2) except the resource
    (``invalid_target``, RFC 8707 §2)."""
    company = code.company_id
    if code.client_pk != client.id:
        # §4.1.3: the code must have been issued to the authenticated client.
        raise invalid_grant("Invalid authorization code", "code_other_client", company)
    if code.expires_at <= utcnow():
        raise invalid_grant("The authorization code expired", "code_expired", company)
    if redirect_uri != code.redirect_uri:
        raise invalid_grant(
            "redirect_uri does not match the authorization request",
            "redirect_uri_mismatch",
            company,
        )
    if not code.code_challenge:
        # A verifier without a challenge: nothing to check it against, so no PKCE at all.
        raise invalid_grant(
            "The authorization request had no PKCE challenge", "pkce_no_challenge", company
        )
    if not pkce.verifier_matches(verifier, code.code_challenge):
        raise invalid_grant("code_verifier does not match the challenge", "pkce_mismatch", company)
    check_resource(resource, code.resource, company)


def _issue(session: Session, code: AuthorizationCode) -> IssuedPair:
    now = utcnow()
    role, active = session.execute(
        select(Membership.role, User.is_active)
        .select_from(User)
        .outerjoin(
            Membership,
            (Membership.user_id == User.id) & (Membership.company_id == code.company_id),
        )
        .where(User.id == code.user_id)
    ).one()
    connection = connections.create_connection(
        session,
        grant_actor(code.company_id),
        company_id=code.company_id,
        client_pk=code.client_pk,
        user_id=code.user_id,
        permissions=code.permissions,
        resource=code.resource,
    )
    grant = connection_grant(connection, role=role, is_active=active)
    if not grant.effective:
        raise invalid_grant(
            "The user no longer holds any of the consented permissions",
            f"connection_{grant.status.value}",
            code.company_id,
        )
    won = session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code.id, AuthorizationCode.redeemed_at.is_(None))
        .values(redeemed_at=now, connection_id=connection.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise _Replayed(code.id)  # a concurrent redemption won; this transaction rolls back
    return issue_pair(
        session,
        connection_id=connection.id,
        version=connection.version,
        company_id=connection.company_id,
        resource=connection.resource,
        family_scope=connection.permissions,
        scope=grant.effective,
        now=now,
    )


def _revoke_first_redemption(code_id: int) -> int | None:
    """Revoke the connection the first redemption created (CODE_REPLAYED); its company."""
    with session_scope(get_sessionmaker()) as session:
        code = session.get(AuthorizationCode, code_id)
        if code is None:
            return None
        if code.connection_id is not None:
            connections.revoke_family(
                session,
                code.connection_id,
                reason="code_replay",
                event=Event.CODE_REPLAYED,
                actor=grant_actor(code.company_id),
            )
        return code.company_id
