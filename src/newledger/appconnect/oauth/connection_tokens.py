"""What the two OAuth-client grants hand out: an access token of kind ``conn`` bound to the
connection's resource, and a new refresh token of the connection's family.

Shared by ``code_grant`` (the first pair, at redemption) and ``refresh_grant`` (every rotation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.models import RefreshToken
from newledger.appconnect.oauth.errors import OAuthError
from newledger.appconnect.tokens import issue_access_token
from newledger.config import get_settings
from newledger.identity.permissions import Permission

__all__ = ["IssuedPair", "grant_actor", "invalid_grant", "issue_pair"]


@dataclass(frozen=True, slots=True)
class IssuedPair:
    access_token: str
    expires_in: int
    refresh_token: str
    scope: frozenset[Permission]

    def body(self) -> dict[str, Any]:
        """RFC 6749 §5.1."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": " ".join(sorted(self.scope)),
        }


def invalid_grant(description: str, reason: str, company_id: int | None = None) -> OAuthError:
    """RFC 6749 §5.2 ``invalid_grant``; ``reason`` is for the activity log only."""
    return OAuthError("invalid_grant", description, reason=reason, company_id=company_id)


def check_resource(requested: str | None, consented: str, company_id: int) -> None:
    """A ``resource`` the client names again at the token endpoint must be the one consented to
    (``invalid_target``, RFC 8707 §2); naming none keeps the consented one."""
    if requested is not None and requested != consented:
        raise OAuthError(
            "invalid_target",
            "resource differs from the one consented to",
            reason="resource_mismatch",
            company_id=company_id,
        )


def grant_actor(company_id: int) -> Actor:
    """Who the activity rows written by the token endpoint name."""
    return Actor.system(company_id, "token endpoint", source="api")


def issue_pair(
    session: Session,
    *,
    connection_id: int,
    version: int,
    company_id: int,
    resource: str,
    family_scope: str,
    scope: frozenset[Permission],
    now: dt.datetime,
) -> IssuedPair:
    """Store a new refresh token (digest only) and sign an access token; return both.

    ``family_scope`` is what the refresh token carries: the consented permissions, which a
    rotation keeps whole (RFC 6749 §6: the new refresh token has the old one's scope), while
    ``scope`` is what this access token may do (possibly narrowed by the request and by the
    user's current role).
    """
    refresh = secrets.generate(secrets.REFRESH_TOKEN_PREFIX)
    idle = dt.timedelta(days=get_settings().refresh_token_idle_days)
    session.add(
        RefreshToken(
            token_digest=secrets.digest(refresh),
            connection_id=connection_id,
            scope=family_scope,
            expires_at=now + idle,
        )
    )
    session.flush()
    access, claims = issue_access_token(
        kind="conn",
        grant_id=connection_id,
        grant_version=version,
        company_id=company_id,
        scope=scope,
        resource=resource,
    )
    return IssuedPair(access, claims.expires_at - claims.issued_at, refresh, scope)
