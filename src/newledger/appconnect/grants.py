"""Is a grant live now, and with which effective permissions: the one answer for every grant kind.

A *grant* is what an access token acts under: an API credential app (kind ``app``) today, an
OAuth connection (kind ``conn``) next. Its effective permissions depend on the delegating
user's *current* role (DESIGN §3), so every read that decides access joins the creator's
membership (``app_with_creator``) and hands the row to ``app_grant``. The bearer check
(``auth.py``), the token endpoint (``oauth/app_credentials.py``) and the settings pages
(``apps.py``) all decide through ``app_grant``, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Select, and_, select

from newledger.appconnect.models import App
from newledger.identity.models import Membership, User
from newledger.identity.permissions import DELEGABLE, Permission, role_permissions

__all__ = [
    "AppState",
    "Grant",
    "GrantStatus",
    "app_grant",
    "app_with_creator",
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


def app_with_creator(*columns: Any) -> Select[Any]:
    """``SELECT columns…, creator's role, creator's is_active FROM apps`` (outer joins)."""
    return (
        select(*columns, Membership.role, User.is_active)
        .select_from(App)
        .outerjoin(
            Membership,
            and_(
                Membership.company_id == App.company_id,
                Membership.user_id == App.created_by_user_id,
            ),
        )
        .outerjoin(User, User.id == App.created_by_user_id)
    )


class AppState(Protocol):
    """What ``app_grant`` reads of an app: an ``App`` row or a row of a statement built with
    ``app_with_creator`` (``expires_at`` as an aware datetime; the others only for ``None``)."""

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
    @property
    def expires_at(self) -> dt.datetime | None: ...


def app_grant(
    app: AppState, *, role: str | None, is_active: bool | None, now: dt.datetime
) -> Grant:
    """An API credential app's grant, from its row and its creator's membership."""
    delegated = delegated_permissions(app.permissions)
    current = creator_permissions(role, is_active)
    if app.deleted_at is not None:
        status = GrantStatus.DELETED
    elif app.revoked_at is not None:
        status = GrantStatus.REVOKED
    elif app.expires_at is not None and app.expires_at <= now:
        status = GrantStatus.EXPIRED
    elif not current:
        status = GrantStatus.SUSPENDED
    elif not delegated <= current:
        status = GrantStatus.DEGRADED
    else:
        status = GrantStatus.ACTIVE
    effective = delegated & current if status.live else frozenset()
    return Grant("app", app.id, app.company_id, status, delegated, effective)
