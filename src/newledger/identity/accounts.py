"""A person's account as a whole: deactivate and reactivate it, change or reset its password.

Deactivation is for people, not memberships: a deactivated user cannot sign in, their sessions
end at once, and every app they created is revoked (and refused on its next request). A company
owner may deactivate someone whose only companies are ones they own; an instance admin does it
with ``newledger users deactivate`` (a system actor).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger import ratelimit
from newledger.actor import Actor
from newledger.appconnect.apps import revoke_apps_created_by
from newledger.appconnect.connections import revoke_connections_of
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import (
    AuthenticationFailed,
    InvalidState,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from newledger.identity import sessions as web_sessions
from newledger.identity.models import Membership, User
from newledger.identity.passwords import hash_password, verify_password
from newledger.identity.permissions import Permission, Role
from newledger.identity.services import MIN_PASSWORD_LENGTH, get_user_by_email

__all__ = [
    "change_password",
    "deactivate_user",
    "reactivate_user",
    "reset_password",
    "user_by_email",
]


def user_by_email(session: Session, email: str) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFound(f"No user {email!r}")
    return user


def _may_manage(session: Session, actor: Actor, user: User) -> None:
    """The system (CLI) may; a person must be an owner of every company the user belongs to,
    and of the company they act in."""
    if actor.type == "system":
        return
    actor.require(Permission.COMPANY_MANAGE)
    if actor.user_id == user.id:
        raise InvalidState("You cannot deactivate or reactivate yourself.", code="self")
    theirs = set(
        session.scalars(select(Membership.company_id).where(Membership.user_id == user.id))
    )
    owned = set(
        session.scalars(
            select(Membership.company_id).where(
                Membership.user_id == actor.user_id, Membership.role == Role.OWNER.value
            )
        )
    )
    if actor.company_id not in theirs:
        raise NotFound("No such member")
    if not theirs <= owned:
        raise PermissionDenied(
            "This person belongs to companies you do not own: only an instance admin can "
            "deactivate them (newledger users deactivate).",
            required=(Permission.COMPANY_MANAGE,),
        )


def _record(session: Session, event: Event, actor: Actor, user: User) -> None:
    # Company-less: every company the person belongs to sees it (audit.queries scopes by
    # membership), and a CLI action has no company anyway.
    record(
        session,
        event,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details={"email": user.email},
    )


def deactivate_user(session: Session, *, user: User, actor: Actor) -> int:
    """Deactivate; return how many apps were revoked."""
    _may_manage(session, actor, user)
    if not user.is_active:
        raise InvalidState(f"{user.email} is already deactivated.", code="already_inactive")
    user.is_active = False
    web_sessions.revoke_all(session, user.id)
    ended = revoke_apps_created_by(
        session, actor, user_id=user.id, company_id=None, reason="creator deactivated"
    )
    revoke_connections_of(session, actor, user_id=user.id, company_id=None)
    session.flush()
    _record(session, Event.USER_DEACTIVATED, actor, user)
    return ended


def reactivate_user(session: Session, *, user: User, actor: Actor) -> None:
    """Let the person sign in again. Their revoked apps stay revoked (an owner may restore)."""
    _may_manage(session, actor, user)
    if user.is_active:
        raise InvalidState(f"{user.email} is active.", code="already_active")
    user.is_active = True
    session.flush()
    _record(session, Event.USER_REACTIVATED, actor, user)


def _check_new(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            errors={"new_password": "too short"},
        )


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session_id: int, actor: Actor
) -> int:
    """The signed-in user changes their password; every other session ends. Returns how many.

    Wrong current passwords count against the sign-in limit for the account, so a borrowed
    session cannot be used to guess it: the caller commits even when this raises
    ``AuthenticationFailed`` or ``RateLimited``."""
    decision = ratelimit.hit(ratelimit.Rule.PASSWORD_PER_USER, str(user.id), session=session)
    if not decision.allowed:
        raise RateLimited(
            f"Too many attempts. Try again in {decision.reset_seconds} seconds.",
            retry_after=decision.reset_seconds,
        )
    if not verify_password(user.password_hash, current):
        raise AuthenticationFailed("The current password is incorrect.", code="bad_credentials")
    ratelimit.release(ratelimit.Rule.PASSWORD_PER_USER, str(user.id), session=session)
    _check_new(new)
    user.password_hash = hash_password(new)
    ended = web_sessions.revoke_all(session, user.id, except_id=keep_session_id)
    session.flush()
    record(
        session,
        Event.PASSWORD_CHANGED,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details={"sessions_ended": ended},
    )
    return ended


def reset_password(session: Session, *, user: User, new: str, actor: Actor) -> None:
    """An instance admin sets a new password; all the user's sessions end."""
    _check_new(new)
    user.password_hash = hash_password(new)
    web_sessions.revoke_all(session, user.id)
    session.flush()
    _record(session, Event.PASSWORD_RESET, actor, user)
