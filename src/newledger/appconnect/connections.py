"""OAuth connections: one approved consent of one user for one MCP client in one company.

A connection is created when its authorization code is redeemed (``oauth/code_grant.py``) and
is the *token family* of everything issued under it: its refresh tokens (rotated on every use)
and the access tokens that carry its ``version``. Ending a connection, by a person deleting it
or by the token endpoint detecting a replayed code or refresh token, bumps the version and
revokes the refresh tokens in one statement each, so the next request with any of its tokens
fails on every instance (DESIGN §4).

Every function flushes but never commits and records its activity row in the caller's session.
Who sees what: everyone their own connections; owners and admins all of the company's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, Select, select, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import audience
from newledger.appconnect.clients import ClientLabel, client_label
from newledger.appconnect.grants import GrantStatus, connection_grant
from newledger.appconnect.models import (
    OAuthClient,
    OAuthConnection,
    RefreshToken,
)
from newledger.audit.models import Activity
from newledger.audit.queries import grant_activity
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.config import get_settings
from newledger.db import utcnow
from newledger.errors import NotFound, PermissionDenied
from newledger.identity.models import Company, Membership, User
from newledger.identity.permissions import Permission, Role

__all__ = [
    "ConnectionView",
    "connection_activity",
    "create_connection",
    "delete_connection",
    "get_connection_view",
    "is_idle",
    "list_connections",
    "revoke_connections_of",
    "revoke_family",
]

# Roles that see (and may delete) every connection of their company, not just their own.
_SEES_ALL = frozenset({Role.OWNER.value, Role.ADMIN.value})


@dataclass(frozen=True)
class ConnectionView:
    connection: OAuthConnection
    client: OAuthClient
    label: ClientLabel
    user_email: str
    status: GrantStatus
    delegated: frozenset[Permission]
    effective: frozenset[Permission]
    idle: bool
    mcp_url: str


def create_connection(
    session: Session,
    actor: Actor,
    *,
    company_id: int,
    client_pk: int,
    user_id: int,
    permissions: str,
    resource: str,
) -> OAuthConnection:
    """Record an approved consent as a connection (flushed, so it has its id). Called when its
    authorization code is redeemed, and by the demo."""
    connection = OAuthConnection(
        company_id=company_id,
        client_pk=client_pk,
        user_id=user_id,
        permissions=permissions,
        resource=resource,
        version=1,
    )
    session.add(connection)
    session.flush()
    _record(session, Event.CONNECTION_CREATED, actor, connection, permissions=permissions)
    return connection


def revoke_family(
    session: Session, connection_id: int, *, reason: str, event: Event, actor: Actor
) -> bool:
    """End a connection's whole token family (RFC 9700 §4.14): the connection is revoked, its
    version moves on (every access token already issued is refused) and every refresh token of
    it is revoked. Returns whether this call ended it (``False``: it had already ended)."""
    now = utcnow()
    ended = session.execute(
        update(OAuthConnection)
        .where(
            OAuthConnection.id == connection_id,
            OAuthConnection.revoked_at.is_(None),
            OAuthConnection.deleted_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason=reason, version=OAuthConnection.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    _revoke_refresh_tokens(session, connection_id)
    if ended:
        connection = session.get(OAuthConnection, connection_id)
        assert connection is not None
        session.refresh(connection)
        _record(session, event, actor, connection, reason=reason)
    return bool(ended)


def _revoke_refresh_tokens(session: Session, connection_id: int) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.connection_id == connection_id, RefreshToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )


def delete_connection(session: Session, actor: Actor, connection_id: int) -> OAuthConnection:
    """End access at once and take the connection off the list. Drafts it made stay for review;
    the client has to ask for consent again."""
    view = get_connection_view(session, actor, connection_id)
    connection = view.connection
    if connection.deleted_at is not None:
        raise NotFound("This connection was already deleted")
    connection.deleted_at = utcnow()
    connection.version += 1
    session.flush()
    _revoke_refresh_tokens(session, connection.id)
    _record(session, Event.CONNECTION_DELETED, actor, connection, client=view.label.name)
    return connection


def revoke_connections_of(
    session: Session, actor: Actor, *, user_id: int, company_id: int | None
) -> int:
    """Revoke every live connection ``user_id`` approved (in one company, or everywhere): done
    when the person is removed or deactivated, as their apps are revoked, so that coming back
    does not revive them. Returns how many were ended."""
    query = select(OAuthConnection.id).where(
        OAuthConnection.user_id == user_id,
        OAuthConnection.revoked_at.is_(None),
        OAuthConnection.deleted_at.is_(None),
    )
    if company_id is not None:
        query = query.where(OAuthConnection.company_id == company_id)
    return sum(
        revoke_family(
            session,
            connection_id,
            reason="user_removed",
            event=Event.CONNECTION_REVOKED,
            actor=actor,
        )
        for connection_id in list(session.scalars(query))
    )


def is_idle(connection: OAuthConnection, now: dt.datetime) -> bool:
    """Not used (no token refreshed or request made) for the refresh tokens' idle lifetime."""
    idle_after = dt.timedelta(days=get_settings().refresh_token_idle_days)
    return now - (connection.last_used_at or connection.created_at) >= idle_after


# connection, client, user's role, user's is_active, user's email, company slug
_ViewsQuery = Select[OAuthConnection, OAuthClient, str, bool, str, str]


def _views_query(company_id: int) -> _ViewsQuery:
    return (
        select(
            OAuthConnection, OAuthClient, Membership.role, User.is_active, User.email, Company.slug
        )
        .join(OAuthClient, OAuthClient.id == OAuthConnection.client_pk)
        .join(User, User.id == OAuthConnection.user_id)
        .join(Company, Company.id == OAuthConnection.company_id)
        .outerjoin(
            Membership,
            (Membership.company_id == OAuthConnection.company_id)
            & (Membership.user_id == OAuthConnection.user_id),
        )
        .where(OAuthConnection.company_id == company_id)
    )


def _sees_all(session: Session, actor: Actor, company_id: int) -> bool:
    if actor.user_id is None:
        return False
    role = session.scalar(
        select(Membership.role).where(
            Membership.company_id == company_id, Membership.user_id == actor.user_id
        )
    )
    return role in _SEES_ALL


def _company(actor: Actor) -> int:
    """Only people manage connections: an app or a connection cannot list or end them."""
    if actor.is_external or actor.user_id is None:
        raise PermissionDenied("Only people manage OAuth connections")
    return actor.company_scope()


def list_connections(
    session: Session, actor: Actor, *, include_deleted: bool = False
) -> list[ConnectionView]:
    """The connections this person may see, newest first: their own, or (owners and admins)
    every one of the company's."""
    company_id = _company(actor)
    query = _views_query(company_id).order_by(
        OAuthConnection.created_at.desc(), OAuthConnection.id.desc()
    )
    if not _sees_all(session, actor, company_id):
        query = query.where(OAuthConnection.user_id == actor.user_id)
    if not include_deleted:
        query = query.where(OAuthConnection.deleted_at.is_(None))
    now = utcnow()
    return [_view(row, now) for row in session.execute(query)]


def get_connection_view(session: Session, actor: Actor, connection_id: int) -> ConnectionView:
    """One connection this person may see (``NotFound`` for any other: no hint it exists)."""
    company_id = _company(actor)
    query = _views_query(company_id).where(OAuthConnection.id == connection_id)
    if not _sees_all(session, actor, company_id):
        query = query.where(OAuthConnection.user_id == actor.user_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("No such OAuth connection in this company")
    return _view(row, utcnow())


def _view(
    row: Row[OAuthConnection, OAuthClient, str, bool, str, str], now: dt.datetime
) -> ConnectionView:
    connection, client, role, active, email, slug = row
    grant = connection_grant(connection, role=role, is_active=active)
    status = grant.status
    if client.deleted_at is not None and status.live:
        status = GrantStatus.REVOKED  # the client itself was deleted
    resource = connection.resource
    return ConnectionView(
        connection=connection,
        client=client,
        label=client_label(client),
        user_email=email,
        status=status,
        delegated=grant.delegated,
        effective=grant.effective if status.live else frozenset(),
        idle=status.live and is_idle(connection, now),
        mcp_url=resource
        if resource != audience.generic_mcp_url()
        else audience.company_mcp_url(slug),
    )


def connection_activity(
    session: Session, connection: OAuthConnection, *, limit: int = 50
) -> list[Activity]:
    """What the connection did (as actor) and what was done to it, newest first."""
    return grant_activity(
        session,
        connection.company_id,
        Activity.actor_connection_id,
        "connection",
        connection.id,
        limit=limit,
    )


def _record(
    session: Session, event: Event, actor: Actor, connection: OAuthConnection, **details: object
) -> None:
    record(
        session,
        event,
        actor,
        company_id=connection.company_id,
        subject_type="connection",
        subject_id=connection.id,
        details={"client_pk": connection.client_pk, "user_id": connection.user_id, **details},
    )
