"""Is a grant live now, and with which effective permissions: the one answer for every grant kind.

A *grant* is what an access token acts under: an API credential app (kind ``app``) or an OAuth
connection (kind ``conn``). Its effective permissions depend on the delegating user's *current*
role (DESIGN §3), so every read that decides access joins that user's membership
(``app_with_creator``, ``connection_with_user``) and hands the row to ``app_grant`` or
``connection_grant``. The bearer check (``auth.py``), the token endpoint and the settings pages
all decide through these two, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Select, and_, select

from newledger.appconnect.models import App, OAuthConnection
from newledger.identity.models import Membership, User
from newledger.identity.permissions import DELEGABLE, Permission, role_permissions

__all__ = [
    "AppState",
    "Grant",
    "GrantStatus",
    "app_grant",
    "app_with_creator",
    "connection_grant",
    "connection_with_user",
    "creator_permissions",
    "delegated_permissions",
]


class GrantStatus(StrEnum):
    """Statuses in the order they are decided: the first that applies wins."""

    DELETED = "deleted"
    REVOKED = "revoked"
    EXPIRED = "expired"
    # The creator left the company or was deactivated: refused outright, not merely narrowed.
    SUSPENDED = "suspended"
    # The creator no longer holds some delegated permission: the grant lost it too (DESIGN §3).
    DEGRADED = "degraded"
    ACTIVE = "active"

    @property
    def live(self) -> bool:
        return self in (GrantStatus.ACTIVE, GrantStatus.DEGRADED)


@dataclass(frozen=True, slots=True)
class Grant:
    kind: str  # app | conn
    id: int
    company_id: int
    status: GrantStatus
    delegated: frozenset[Permission]
    # What the grant may do now: delegated ∩ the creator's current permissions; empty unless live.
    effective: frozenset[Permission]


@lru_cache(maxsize=1024)
def delegated_permissions(stored: str) -> frozenset[Permission]:
    """Parse a grant's stored permission string; names no longer delegable are ignored."""
    out = set()
    for name in stored.split():
        try:
            perm = Permission(name)
        except ValueError:
            continue
        if perm in DELEGABLE:
            out.add(perm)
    return frozenset(out)


def creator_permissions(role: str | None, is_active: bool | None) -> frozenset[Permission]:
    """What the creator may do now: nothing once they left the company or were deactivated."""
    return role_permissions(role) if role and is_active else frozenset()


def _with_delegator(
    grant: type[App] | type[OAuthConnection], user_id: Any, columns: Any
) -> Select[Any]:
    """``SELECT columns…, delegator's role, delegator's is_active FROM grant`` (outer joins: a
    delegator who left the company or was deleted still yields the row, with NULLs)."""
    return (
        select(*columns, Membership.role, User.is_active)
        .select_from(grant)
        .outerjoin(
            Membership,
            and_(Membership.company_id == grant.company_id, Membership.user_id == user_id),
        )
        .outerjoin(User, User.id == user_id)
    )


def app_with_creator(*columns: Any) -> Select[Any]:
    """``SELECT columns…, creator's role, creator's is_active FROM apps``."""
    return _with_delegator(App, App.created_by_user_id, columns)


def connection_with_user(*columns: Any) -> Select[Any]:
    """``SELECT columns…, user's role, user's is_active FROM oauth connections``."""
    return _with_delegator(OAuthConnection, OAuthConnection.user_id, columns)


class ConnectionState(Protocol):
    """What ``connection_grant`` reads of a connection (row or ``connection_with_user`` row)."""

    @property
    def id(self) -> int: ...
    @property
    def company_id(self) -> int: ...
    @property
    def permissions(self) -> str: ...
    @property
    def revoked_at(self) -> object: ...
    @property
    def deleted_at(self) -> object: ...


class AppState(ConnectionState, Protocol):
    """What ``app_grant`` reads of an app: an ``App`` row or a row of a statement built with
    ``app_with_creator`` (``expires_at`` as an aware datetime; the others only for ``None``)."""

    @property
    def expires_at(self) -> dt.datetime | None: ...


def app_grant(
    app: AppState, *, role: str | None, is_active: bool | None, now: dt.datetime
) -> Grant:
    """An API credential app's grant, from its row and its creator's membership."""
    expired = app.expires_at is not None and app.expires_at <= now
    return _grant("app", app, expired, role, is_active)


def connection_grant(conn: ConnectionState, *, role: str | None, is_active: bool | None) -> Grant:
    """An OAuth connection's grant, from its row and its user's current membership.

    A connection does not expire as a whole; its idle refresh tokens do (``RefreshToken``).
    """
    return _grant("conn", conn, False, role, is_active)


def _grant(
    kind: str, row: ConnectionState, expired: bool, role: str | None, is_active: bool | None
) -> Grant:
    delegated = delegated_permissions(row.permissions)
    current = creator_permissions(role, is_active)
    if row.deleted_at is not None:
        status = GrantStatus.DELETED
    elif row.revoked_at is not None:
        status = GrantStatus.REVOKED
    elif expired:
        status = GrantStatus.EXPIRED
    elif not current:
        status = GrantStatus.SUSPENDED
    elif not delegated <= current:
        status = GrantStatus.DEGRADED
    else:
        status = GrantStatus.ACTIVE
    effective = delegated & current if status.live else frozenset()
    return Grant(kind, row.id, row.company_id, status, delegated, effective)
