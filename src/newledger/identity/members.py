"""Managing a company's members: change roles and remove members (people join by invitation,
see ``identity.invitations``).

Only owners may grant or take away the owner role (an admin cannot elevate anyone above
themselves), and a company always keeps at least one owner.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.apps import revoke_apps_created_by
from newledger.appconnect.connections import revoke_connections_of
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.models import Membership, MembershipPeriod, User
from newledger.identity.permissions import Permission, Role

__all__ = [
    "change_role",
    "list_members",
    "parse_role",
    "remove_member",
    "require_owner_for",
]


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(f"Unknown role {value!r}", errors={"role": "unknown"}) from None


def require_owner_for(actor: Actor, *roles: str) -> None:
    if Role.OWNER in roles and not actor.can(Permission.COMPANY_MANAGE):
        raise PermissionDenied(
            "Only an owner can grant or remove the owner role.",
            required=(Permission.COMPANY_MANAGE,),
        )


def list_members(session: Session, company_id: int) -> list[tuple[Membership, User]]:
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.company_id == company_id)
        .order_by(User.email)
    ).all()
    return [(m, u) for m, u in rows]


def change_role(
    session: Session, *, company_id: int, membership_id: int, role: str, actor: Actor
) -> Membership:
    actor.require(Permission.MEMBERS_MANAGE)
    new_role = parse_role(role)
    membership = session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.company_id == company_id
        )
    )
    if membership is None:
        raise NotFound("No such member")
    old_role = membership.role
    if old_role == new_role.value:
        return membership
    require_owner_for(actor, old_role, new_role)
    if old_role == Role.OWNER:
        _keep_an_owner(session, company_id)
    membership.role = new_role.value
    user = session.get(User, membership.user_id)
    record(
        session,
        Event.MEMBER_ROLE_CHANGED,
        actor,
        company_id=company_id,
        subject_type="user",
        subject_id=membership.user_id,
        details={
            "email": user.email if user else "",
            "from": old_role,
            "to": new_role.value,
        },
    )
    session.flush()
    return membership


def _keep_an_owner(session: Session, company_id: int) -> None:
    """Refuse to take away the last owner. The owner rows are locked (PostgreSQL) so two owners
    cannot demote or remove each other at once."""
    owners = session.scalars(
        select(Membership.id)
        .where(Membership.company_id == company_id, Membership.role == Role.OWNER.value)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise InvalidState(
            "A company needs at least one owner: make someone else owner first.",
            code="last_owner",
        )


def remove_member(session: Session, *, company_id: int, membership_id: int, actor: Actor) -> User:
    """End a membership: the person loses access, their apps here are revoked (and refused on
    their next request), and the company's activity stops showing their identity events."""
    actor.require(Permission.MEMBERS_MANAGE)
    membership = session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.company_id == company_id
        )
    )
    if membership is None:
        raise NotFound("No such member")
    require_owner_for(actor, membership.role)
    if membership.role == Role.OWNER:
        _keep_an_owner(session, company_id)
    user = session.get(User, membership.user_id)
    assert user is not None
    role = membership.role
    session.execute(delete(Membership).where(Membership.id == membership.id))
    session.execute(
        update(MembershipPeriod)
        .where(
            MembershipPeriod.company_id == company_id,
            MembershipPeriod.user_id == user.id,
            MembershipPeriod.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    revoke_apps_created_by(
        session, actor, user_id=user.id, company_id=company_id, reason="creator removed"
    )
    revoke_connections_of(session, actor, user_id=user.id, company_id=company_id)
    record(
        session,
        Event.MEMBER_REMOVED,
        actor,
        company_id=company_id,
        subject_type="user",
        subject_id=user.id,
        details={"email": user.email, "role": role},
    )
    session.flush()
    session.expire(user, ["memberships"])
    return user


def owner_count(session: Session, company_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.company_id == company_id, Membership.role == Role.OWNER.value)
        )
        or 0
    )
