"""Bearer authentication: an ``Authorization: Bearer nlat_…`` token to an ``Actor``.

REST, MCP and any other adapter call ``authenticate_bearer`` and nothing else. Per request it
costs one HMAC and ONE indexed read of the grant's current state (the app row, its creator's
membership and the token's deny-list entry in a single statement). There is deliberately no
cache: a revoke, delete, rotation, expiry or demotion is seen by the very next request on every
instance (DESIGN §4).

Every refusal is recorded (coalesced, ``refusals.py``) against the company the token names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, exists, or_, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import audience
from newledger.appconnect.grants import (
    app_grant,
    app_with_creator,
    connection_grant,
    connection_with_user,
)
from newledger.appconnect.models import App, OAuthClient, OAuthConnection, RevokedToken
from newledger.appconnect.refusals import Origin, note_request_refusal
from newledger.appconnect.tokens import AccessToken, TokenRefused, parse_access_token
from newledger.db import utcnow
from newledger.errors import AuthenticationFailed, PermissionDenied
from newledger.hotread import Prepared, as_utc, session_row
from newledger.identity.permissions import Permission

__all__ = [
    "LAST_USED_RESOLUTION",
    "Origin",
    "authenticate_bearer",
    "grant_of",
    "last_used_stale",
    "refuse_permission",
    "touch_last_used",
]

# The timestamps the grant checks compare (the others are only tested for None).
_TIMES = ("expires_at", "last_used_at")
# last_used_at is written at most once per grant per this many seconds (DESIGN §4).
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


class _Refused(AuthenticationFailed):
    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, code="invalid_token")
        self.reason = reason


def authenticate_bearer(
    session: Session,
    token: str,
    *,
    resource: str | None = None,
    company_id: int | None = None,
    origin: Origin | None = None,
    source: str = "api",
) -> Actor:
    """Return the actor a bearer token acts as, or raise ``AuthenticationFailed``.

    ``resource`` is the URL of what the request addresses (the REST API, an MCP URL). A token
    bound to a resource (RFC 8707) is accepted only there. ``company_id``, when given, is the
    company the request addresses (e.g. the MCP URL's company); a token for another company is
    refused. The error's ``code`` is always ``invalid_token`` (RFC 6750 §3.1) and its message
    never echoes the token. ``source`` is how the request came in (``api`` or ``mcp``), for
    the activity log.
    """
    try:
        claims = parse_access_token(token)
    except TokenRefused as exc:
        grant = (exc.grant_kind, exc.grant_id) if exc.grant_kind and exc.grant_id else None
        note_request_refusal(exc.reason, exc.company_id, grant, origin or Origin())
        raise
    try:
        if company_id is not None and claims.company_id != company_id:
            raise _Refused("Token is for another company", "foreign_company")
        if resource is not None and claims.resource != resource:
            _refuse_resource(claims.resource, resource)
        match claims.kind:
            case "app":
                return _app_actor(session, claims, source)
            case "conn":
                return _connection_actor(session, claims, source)
            case _:
                raise _Refused("Unknown grant kind", "unknown_grant_kind")
    except _Refused as exc:
        _note(exc.reason, claims, origin)
        raise


def _refuse_resource(bound: str, addressed: str) -> None:
    """RFC 8707 audience check, for a token whose resource is not the addressed one. A token
    bound to a resource is accepted only there; a token bound to none (an API credential app
    that asked for none) only by the REST API, never by an MCP URL."""
    if bound:
        raise _Refused("Token was issued for another resource", "foreign_resource")
    if addressed != audience.rest_api_url():
        raise _Refused("Token is not bound to this resource", "no_resource")


def refuse_permission(actor: Actor, permission: Permission, origin: Origin | None) -> None:
    """Raise ``PermissionDenied`` (recorded) unless ``actor`` holds ``permission``."""
    if actor.can(permission):
        return
    note_request_refusal(
        "missing_permission",
        actor.company_id,
        grant_of(actor),
        origin or Origin(),
        permission=permission.value,
    )
    raise PermissionDenied(
        f"This token lacks the {permission.value} permission.", required=(permission,)
    )


def _note(reason: str, claims: AccessToken, origin: Origin | None) -> None:
    grant = (claims.kind, claims.grant_id)
    note_request_refusal(reason, claims.company_id, grant, origin or Origin())


def grant_of(actor: Actor) -> tuple[str, int] | None:
    """The grant (kind, id) an actor acts under, if it is an app or a connection."""
    if actor.app_id is not None:
        return ("app", actor.app_id)
    return ("conn", actor.connection_id) if actor.connection_id is not None else None


_APP_STATE = Prepared(
    app_with_creator(
        App.id,
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


def _grant_state(
    session: Session,
    statement: Prepared,
    params: dict[str, Any],
    claims: AccessToken,
    noun: str,
    *,
    changed: str,
) -> Any:
    """The grant's row read by ``statement``, refused unless it is the token's company's grant at
    the version the token was issued for (``changed`` says what bumps that version).

    Read on the session's DBAPI cursor (``hotread``): through SQLAlchemy's result layer this one
    indexed read cost about as much CPU as the rest of an MCP call's checks. Timestamps come
    back as the driver gives them; ``last_used_at`` and ``expires_at`` are made aware here."""
    raw = session_row(session, statement, **params)
    if raw is None:
        raise _Refused(f"Unknown {noun}", f"unknown_{noun}")
    row = raw._replace(
        **{name: as_utc(getattr(raw, name)) for name in _TIMES if name in raw._fields}
    )
    if row.company_id != claims.company_id:
        raise _Refused(f"Unknown {noun}", f"unknown_{noun}")
    if row.version != claims.grant_version:
        raise _Refused(f"Token was issued before the {noun} was {changed}", "stale_version")
    return row


def _app_actor(session: Session, claims: AccessToken, source: str) -> Actor:
    # One statement built at import with bound parameters: SQLAlchemy compiles it once, so the
    # per-request cost is the indexed read itself, not statement construction.
    row = _grant_state(
        session,
        _APP_STATE,
        {"app_id": claims.grant_id, "jti": claims.jti},
        claims,
        "app",
        changed="rotated, revoked or deleted",
    )
    now = utcnow()
    grant = app_grant(row, role=row.role, is_active=row.is_active, now=now)
    if not grant.status.live:
        raise _Refused(f"App is {grant.status.value}", f"app_{grant.status.value}")
    if row.denied:
        raise _Refused("Token was revoked", "token_revoked")
    if last_used_stale(row.last_used_at, now):
        touch_last_used(session, App, claims.grant_id, now)
    return Actor(
        "app",
        row.company_id,
        claims.scope & grant.effective,
        user_id=row.created_by_user_id,
        app_id=claims.grant_id,
        label=row.name,
        source=source,
    )


_CONNECTION_STATE = Prepared(
    connection_with_user(
        OAuthConnection.id,
        OAuthConnection.company_id,
        OAuthConnection.permissions,
        OAuthConnection.version,
        OAuthConnection.revoked_at,
        OAuthConnection.deleted_at,
        OAuthConnection.last_used_at,
        OAuthConnection.user_id,
        OAuthClient.name,
        OAuthClient.deleted_at.label("client_deleted_at"),
    )
    .join(OAuthClient, OAuthClient.id == OAuthConnection.client_pk)
    .add_columns(exists().where(RevokedToken.jti == bindparam("jti")).label("denied"))
    .where(OAuthConnection.id == bindparam("connection_id"))
)


def _connection_actor(session: Session, claims: AccessToken, source: str) -> Actor:
    """As ``_app_actor``, for an OAuth connection: one statement reads the connection, its
    user's current membership, its client and the token's deny-list entry."""
    row = _grant_state(
        session,
        _CONNECTION_STATE,
        {"connection_id": claims.grant_id, "jti": claims.jti},
        claims,
        "connection",
        changed="deleted or revoked",
    )
    grant = connection_grant(row, role=row.role, is_active=row.is_active)
    if not grant.status.live:
        raise _Refused(f"Connection is {grant.status.value}", f"connection_{grant.status.value}")
    if row.client_deleted_at is not None:
        raise _Refused("The OAuth client was deleted", "client_deleted")
    if row.denied:
        raise _Refused("Token was revoked", "token_revoked")
    now = utcnow()
    if last_used_stale(row.last_used_at, now):
        touch_last_used(session, OAuthConnection, claims.grant_id, now)
    return Actor(
        "connection",
        row.company_id,
        claims.scope & grant.effective,
        user_id=row.user_id,
        connection_id=claims.grant_id,
        label=row.name,
        source=source,
    )


def last_used_stale(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a grant's ``last_used_at`` is old enough to be written again (see
    ``touch_last_used``): callers skip the UPDATE while it is fresh."""
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def touch_last_used(
    session: Session,
    model: type[App] | type[OAuthConnection],
    grant_id: int,
    now: dt.datetime,
) -> None:
    """Coalesced ``last_used_at`` of an app or a connection: one UPDATE per grant per minute,
    not one per request.

    Runs in the caller's unit of work, so it commits (or is dropped) with the request; the
    ``WHERE`` makes concurrent requests in the same minute update at most once.
    """
    cutoff = now - LAST_USED_RESOLUTION
    session.execute(
        update(model)
        .where(
            model.id == grant_id,
            or_(model.last_used_at.is_(None), model.last_used_at <= cutoff),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
