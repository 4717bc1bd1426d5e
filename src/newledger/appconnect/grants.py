"""An API credential app's current grant state: the app row joined with its creator.

Effective permissions depend on the delegating user's *current* role (DESIGN §3), so every
read of an app's state that decides access joins the creator's membership. The token endpoint
and bearer authentication both build their one indexed read from ``app_with_creator``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, select

from newledger.appconnect.models import App
from newledger.identity.models import Membership, User
from newledger.identity.permissions import Permission, role_permissions

__all__ = ["app_with_creator", "creator_is_live", "creator_permissions"]


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


def creator_is_live(role: str | None, is_active: bool | None) -> bool:
    """Is the grant live at all: its creator is still a member and not deactivated. An app of
    someone who left or was deactivated is refused outright (401), not merely narrowed."""
    return bool(role) and bool(is_active)


def creator_permissions(role: str | None, is_active: bool | None) -> frozenset[Permission]:
    """What the creator may do now: nothing once they left the company or were deactivated."""
    return role_permissions(role) if role and is_active else frozenset()
