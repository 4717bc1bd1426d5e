"""Read models for the App Connect settings pages: one app with its status, and its activity.

Thin reads over ``apps`` (which holds every rule): the same manager check, the same status and
effective-permission computation, so the UI can never disagree with the token endpoint.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import apps
from newledger.appconnect.apps import AppView
from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.audit.queries import grant_activity
from newledger.identity.models import Membership, User
from newledger.identity.permissions import CATALOGUE, DELEGABLE, Permission, PermissionInfo

__all__ = ["app_activity", "delegable_for", "get_app_view", "lost_permissions"]


def delegable_for(actor: Actor) -> list[PermissionInfo]:
    """What this person may delegate: permissions they hold now that apps may receive, in
    catalogue order (the order the UI shows them)."""
    return [info for p, info in CATALOGUE.items() if p in DELEGABLE and p in actor.permissions]


def get_app_view(session: Session, actor: Actor, client_id: str) -> AppView:
    """One app of the actor's company with its status and effective permissions."""
    app = apps.get_app(session, actor, client_id)  # the manager check and the company filter
    row = session.execute(
        select(Membership.role, User.is_active, User.email)
        .select_from(User)
        .outerjoin(
            Membership,
            (Membership.company_id == app.company_id) & (Membership.user_id == User.id),
        )
        .where(User.id == app.created_by_user_id)
    ).one()
    role, active, email = row
    return apps.app_view(app, role, active, email)


def app_activity(session: Session, app: App, *, limit: int = 50) -> list[Activity]:
    """The app's own story, newest first: what it did (as actor) and what was done to it
    (lifecycle, refused token requests), within its company."""
    return grant_activity(
        session, app.company_id, Activity.actor_app_id, "app", app.id, limit=limit
    )


def lost_permissions(view: AppView) -> list[Permission]:
    """Delegated permissions the app no longer has because its creator lost them."""
    return sorted(view.delegated - view.effective)
