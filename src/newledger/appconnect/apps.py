"""API credential apps: create, rotate, revoke, delete, restore, list (DESIGN §3, §4).

Every function takes the acting user's ``Actor``, flushes but never commits, and records its
activity row in the caller's session. Apps are found by client id within the actor's company.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.grants import GrantStatus, app_grant
from newledger.appconnect.models import App
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.models import Membership, User
from newledger.identity.permissions import DELEGABLE, Permission

__all__ = [
    "AppView",
    "app_view",
    "create_app",
    "delete_app",
    "get_app",
    "get_app_by_id",
    "list_apps",
    "record_app_event",
    "restore_app",
    "revoke_app",
    "revoke_apps_created_by",
    "rotate_secret",
]

MAX_GRACE_SECONDS = 7 * 24 * 3600
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class AppView:
    app: App
    status: GrantStatus
    delegated: frozenset[Permission]
    effective: frozenset[Permission]
    creator_email: str


def _manager(actor: Actor) -> int:
    """Only people manage apps: an app cannot mint or end other apps."""
    if actor.is_external:
        raise PermissionDenied("Apps cannot manage apps", required=(Permission.APPCONNECT_MANAGE,))
    actor.require(Permission.APPCONNECT_MANAGE)
    if actor.company_id is None:
        raise ValidationFailed("No company selected", errors={"company": "required"})
    return actor.company_id


def _parse_requested(values: list[str] | tuple[str, ...]) -> frozenset[Permission]:
    out: set[Permission] = set()
    bad: list[str] = []
    for value in values:
        try:
            perm = Permission(value.strip())
        except ValueError:
            bad.append(value)
            continue
        if perm not in DELEGABLE:
            bad.append(value)
        out.add(perm)
    if bad:
        raise ValidationFailed(
            "Not a delegable permission: " + ", ".join(sorted(bad)),
            errors={"permissions": "not delegable: " + " ".join(sorted(bad))},
        )
    if not out:
        raise ValidationFailed("Choose at least one permission", errors={"permissions": "required"})
    return frozenset(out)


def _serialize(perms: frozenset[Permission]) -> str:
    return " ".join(sorted(perms))


def create_app(
    session: Session,
    actor: Actor,
    *,
    name: str,
    permissions: list[str] | tuple[str, ...],
    expires_at: dt.datetime | None = None,
    request_id: str | None = None,
    description: str = "",
) -> tuple[App, str]:
    """Create an app and return it with its client secret, which is never shown again.

    Delegated, not elevated: every permission must be delegable and held by the creator now.
    ``request_id`` names one submission of a create form: a second call with the same id
    raises ``Conflict(code="app_already_created")`` instead of making a second app.
    """
    company_id = _manager(actor)
    if request_id is not None:
        made = session.scalar(
            select(App.client_id).where(
                App.company_id == company_id, App.create_request_id == request_id
            )
        )
        if made is not None:
            raise AlreadyCreated(made)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("Name must be 1-200 characters", errors={"name": "invalid"})
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"Description must be at most {MAX_DESCRIPTION} characters",
            errors={"description": "too_long"},
        )
    requested = _parse_requested(permissions)
    missing = requested - actor.permissions
    if missing:
        raise PermissionDenied(
            "You cannot delegate permissions you do not hold: " + _serialize(missing),
            required=tuple(sorted(missing)),
        )
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("Expiry must be in the future", errors={"expires_at": "past"})
    if actor.user_id is None:
        raise PermissionDenied("Apps are created by a person", code="user_required")
    secret = secrets.generate(secrets.CLIENT_SECRET_PREFIX)
    app = App(
        company_id=company_id,
        client_id=secrets.generate_client_id(),
        name=name,
        description=description,
        created_by_user_id=actor.user_id,
        permissions=_serialize(requested),
        secret_digest=secrets.digest(secret),
        version=1,
        expires_at=expires_at,
        create_request_id=request_id,
    )
    session.add(app)
    session.flush()
    record_app_event(session, Event.APP_CREATED, actor, app, permissions=app.permissions)
    return app, secret


class AlreadyCreated(Conflict):
    """This create request already made an app (its secret was shown then, and only then)."""

    def __init__(self, client_id: str) -> None:
        super().__init__(
            "This form was already submitted and the app was created; its secret was shown "
            "once. Rotate the secret if it was not copied.",
            code="app_already_created",
        )
        self.client_id = client_id


def get_app(session: Session, actor: Actor, client_id: str) -> App:
    company_id = _manager(actor)
    app = session.scalar(
        select(App).where(App.client_id == client_id, App.company_id == company_id)
    )
    if app is None:
        raise NotFound(f"No app {client_id!r} in this company")
    return app


def get_app_by_id(session: Session, actor: Actor, app_id: int) -> App:
    company_id = _manager(actor)
    app = session.scalar(select(App).where(App.id == app_id, App.company_id == company_id))
    if app is None:
        raise NotFound("No such app in this company")
    return app


def rotate_secret(
    session: Session, actor: Actor, client_id: str, *, grace_seconds: int = 0
) -> tuple[App, str]:
    """Issue a new secret. With a grace period the old one keeps working until it ends.

    Without grace the old secret is treated as compromised: it stops at once and the version
    bump refuses every token minted with it. With grace, tokens are left alone: the old secret
    may still mint new ones until the grace ends, so ending the current ones would only break
    the client mid-switch without protecting anything.
    """
    app = get_app(session, actor, client_id)
    if app.revoked_at is not None or app.deleted_at is not None:
        raise InvalidState("Restore the app before rotating its secret")
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValidationFailed(
            "Grace period must be 0 to 7 days", errors={"grace_seconds": "out of range"}
        )
    secret = secrets.generate(secrets.CLIENT_SECRET_PREFIX)
    if grace_seconds:
        app.previous_secret_digest = app.secret_digest
        app.previous_secret_expires_at = utcnow() + dt.timedelta(seconds=grace_seconds)
    else:
        app.previous_secret_digest = None
        app.previous_secret_expires_at = None
        app.version += 1
    app.secret_digest = secrets.digest(secret)
    session.flush()
    record_app_event(session, Event.APP_ROTATED, actor, app, grace_seconds=grace_seconds)
    return app, secret


def revoke_app(session: Session, actor: Actor, client_id: str) -> App:
    """End access at once: the secret stops working and every issued token is refused."""
    app = get_app(session, actor, client_id)
    if app.deleted_at is not None:
        raise InvalidState("The app is deleted")
    if app.revoked_at is not None:
        raise InvalidState("The app is already revoked")
    app.revoked_at = utcnow()
    _end_tokens(app)
    return _recorded(session, Event.APP_REVOKED, actor, app)


def delete_app(session: Session, actor: Actor, client_id: str) -> App:
    """Soft delete: like revoke, and the app leaves the default list. Its drafts stay."""
    app = get_app(session, actor, client_id)
    if app.deleted_at is not None:
        raise InvalidState("The app is already deleted")
    app.deleted_at = utcnow()
    _end_tokens(app)
    return _recorded(session, Event.APP_DELETED, actor, app)


def restore_app(session: Session, actor: Actor, client_id: str) -> App:
    """Undo the last ending step: a deleted app returns to the state it had before deletion
    (a revoked app stays revoked, to be restored again on purpose); a revoked app becomes
    active with its current secret.

    Tokens issued before the revoke stay dead (the version moves on); the client fetches new
    ones. Restoring cannot widen access: the creator's current permissions still apply.
    """
    app = get_app(session, actor, client_id)
    if app.deleted_at is not None:
        app.deleted_at = None
        now = "revoked" if app.revoked_at is not None else "active"
    elif app.revoked_at is not None:
        app.revoked_at = None
        now = "active"
    else:
        raise InvalidState("The app is not revoked or deleted")
    app.version += 1
    return _recorded(session, Event.APP_RESTORED, actor, app, status=now)


def revoke_apps_created_by(
    session: Session, actor: Actor, *, user_id: int, company_id: int | None, reason: str
) -> int:
    """Revoke every live app ``user_id`` created (in one company, or everywhere): done when the
    person is removed or deactivated, so their apps stay ended even if they come back."""
    query = select(App).where(
        App.created_by_user_id == user_id, App.revoked_at.is_(None), App.deleted_at.is_(None)
    )
    if company_id is not None:
        query = query.where(App.company_id == company_id)
    ended = list(session.scalars(query.with_for_update()))
    for app in ended:
        app.revoked_at = utcnow()
        _end_tokens(app)
    session.flush()
    for app in ended:
        record_app_event(session, Event.APP_REVOKED, actor, app, reason=reason)
    return len(ended)


def _recorded(session: Session, event: Event, actor: Actor, app: App, **details: object) -> App:
    """Flush the app's change and record it in the activity log."""
    session.flush()
    record_app_event(session, event, actor, app, **details)
    return app


def _end_tokens(app: App) -> None:
    app.version += 1
    app.previous_secret_digest = None
    app.previous_secret_expires_at = None


def record_app_event(
    session: Session, event: Event, actor: Actor, app: App, **details: object
) -> None:
    """An activity row about ``app`` (its client id and name in the details, with ``details``)."""
    record(
        session,
        event,
        actor,
        company_id=app.company_id,
        subject_type="app",
        subject_id=app.id,
        details={"client_id": app.client_id, "name": app.name, **details},
    )


def app_view(app: App, role: str | None, user_active: bool, email: str) -> AppView:
    grant = app_grant(app, role=role, is_active=user_active, now=utcnow())
    return AppView(
        app=app,
        status=grant.status,
        delegated=grant.delegated,
        effective=grant.effective,
        creator_email=email,
    )


def list_apps(session: Session, actor: Actor, *, include_deleted: bool = True) -> list[AppView]:
    """The company's apps with status and effective permissions, newest first."""
    company_id = _manager(actor)
    query = (
        select(App, Membership.role, User.is_active, User.email)
        .join(User, User.id == App.created_by_user_id)
        .outerjoin(
            Membership,
            (Membership.company_id == App.company_id) & (Membership.user_id == User.id),
        )
        .where(App.company_id == company_id)
        .order_by(App.created_at.desc(), App.id.desc())
    )
    if not include_deleted:
        query = query.where(App.deleted_at.is_(None))
    return [
        app_view(app, role, active, email) for app, role, active, email in session.execute(query)
    ]
