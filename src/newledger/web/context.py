"""``WebContext``: who is asking, in which company, with which permissions, for one HTML request.

Built by the dependencies in ``deps`` and read by every view and by ``templating``; it lives apart
from ``deps`` so that templating (which ``deps``' error pages need) does not import ``deps``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.models import Company, User, WebSession
from newledger.identity.permissions import Permission

__all__ = ["WebContext"]


@dataclass
class WebContext:
    db: Session
    web_session: WebSession
    user: User
    company: Company | None
    role: str | None
    companies: list[tuple[Company, str]]
    actor: Actor

    @property
    def permissions(self) -> frozenset[Permission]:
        return self.actor.permissions

    def can(self, permission: Permission) -> bool:
        return permission in self.actor.permissions
