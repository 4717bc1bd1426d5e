"""Bearer authentication: an ``Authorization: Bearer nlat_…`` token to an ``Actor``.

REST, MCP and any other adapter call ``authenticate_bearer`` and nothing else. Per request it
costs one HMAC and ONE indexed read of the grant's current state (the app row, its creator's
membership and the token's deny-list entry in a single statement). There is deliberately no
cache: a revoke, delete, rotation, expiry or demotion is seen by the very next request on every
instance (DESIGN §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import bindparam, exists, or_, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.grants import app_with_creator, creator_is_live, creator_permissions
from newledger.appconnect.models import App, RevokedToken
from newledger.appconnect.tokens import AccessToken, parse_access_token
from newledger.db import utcnow
from newledger.errors import AuthenticationFailed
from newledger.identity.permissions import DELEGABLE, Permission

__all__ = [
    "LAST_USED_RESOLUTION",
    "authenticate_bearer",
    "delegated_permissions",
    "register_grant_kind",
    "touch_last_used",
]

# last_used_at is written at most once per app per this many seconds (DESIGN §4).
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

GrantResolver = Callable[[Session, AccessToken], Actor]
_RESOLVERS: dict[str, GrantResolver] = {}


def register_grant_kind(kind: str, resolver: GrantResolver) -> None:
    """Let another grant type (OAuth connections: ``conn``) validate its own tokens."""
    _RESOLVERS[kind] = resolver


@lru_cache(maxsize=1024)
def delegated_permissions(stored: str) -> frozenset[Permission]:
    """Parse an app's stored permission string; names no longer delegable are ignored."""
    out = set()
    for name in stored.split():
        try:
            perm = Permission(name)
        except ValueError:
            continue
        if perm in DELEGABLE:
            out.add(perm)
    return frozenset(out)


def _refuse(message: str) -> AuthenticationFailed:
    return AuthenticationFailed(message, code="invalid_token")


def authenticate_bearer(session: Session, token: str, *, company_id: int | None = None) -> Actor:
    """Return the actor a bearer token acts as, or raise ``AuthenticationFailed``.

    ``company_id``, when given, is the company the request addresses (e.g. the MCP URL's
    company); a token for another company is refused. The error's ``code`` is always
    ``invalid_token`` (RFC 6750 §3.1) and its message never echoes the token.
    """
    claims = parse_access_token(token)
    if company_id is not None and claims.company_id != company_id:
        raise _refuse("Token is for another company")
    if claims.kind == "app":
        return _app_actor(session, claims)
    resolver = _RESOLVERS.get(claims.kind)
    if resolver is None:
        raise _refuse("Unknown grant kind")
    return resolver(session, claims)


_APP_STATE = (
    app_with_creator(
        App.company_id,
        App.name,
        App.permissions,
        App.version,
        App.revoked_at,
        App.deleted_at,
        App.expires_at,
        App.last_used_at,
        App.created_by_user_id,
    )
    .add_columns(exists().where(RevokedToken.jti == bindparam("jti")).label("denied"))
    .where(App.id == bindparam("app_id"))
)


def _app_actor(session: Session, claims: AccessToken) -> Actor:
    # One statement built at import with bound parameters: SQLAlchemy compiles it once, so the
    # per-request cost is the indexed read itself, not statement construction.
    row = (
        session.connection()
        .execute(_APP_STATE, {"app_id": claims.grant_id, "jti": claims.jti})
        .first()
    )
    now = utcnow()
    if row is None or row.company_id != claims.company_id:
        raise _refuse("Unknown app")
    if row.version != claims.grant_version:
        raise _refuse("Token was issued before the app was rotated, revoked or deleted")
    if row.revoked_at is not None or row.deleted_at is not None:
        raise _refuse("App is revoked or deleted")
    if row.expires_at is not None and row.expires_at <= now:
        raise _refuse("App has expired")
    if row.denied:
        raise _refuse("Token was revoked")
    if not creator_is_live(row.role, row.is_active):
        raise _refuse("The app's creator is no longer a member or was deactivated")
    current = creator_permissions(row.role, row.is_active)
    permissions = claims.scope & delegated_permissions(row.permissions) & current
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        touch_last_used(session, claims.grant_id, now)
    return Actor(
        "app",
        row.company_id,
        permissions,
        user_id=row.created_by_user_id,
        app_id=claims.grant_id,
        label=row.name,
    )


def touch_last_used(session: Session, app_id: int, now: dt.datetime) -> None:
    """Coalesced ``last_used_at``: one UPDATE per app per minute, not one per request.

    Runs in the caller's unit of work, so it commits (or is dropped) with the request; the
    ``WHERE`` makes concurrent requests in the same minute update at most once.
    """
    cutoff = now - LAST_USED_RESOLUTION
    session.execute(
        update(App)
        .where(App.id == app_id, or_(App.last_used_at.is_(None), App.last_used_at <= cutoff))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
