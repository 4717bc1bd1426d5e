"""Managing a company's members: add (existing user or a new one) and change roles.

Only owners may grant or take away the owner role (an admin cannot elevate anyone above
themselves), and a company always keeps at least one owner.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.models import Company, Membership, User
from newledger.identity.permissions import Permission, Role
from newledger.identity.services import add_member, create_user, get_user_by_email

__all__ = ["add_member_by_email", "change_role", "list_members"]


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(f"Unknown role {value!r}", errors={"role": "unknown"}) from None


def _require_owner_for(actor: Actor, *roles: str) -> None:
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


def add_member_by_email(
    session: Session,
    *,
    company: Company,
    email: str,
    role: str,
    actor: Actor,
    name: str = "",
    password: str = "",
) -> Membership:
    """Add an existing user by email, or create the user when a password is given."""
    actor.require(Permission.MEMBERS_MANAGE)
    role_ = _role(role)
    _require_owner_for(actor, role_)
    user = get_user_by_email(session, email)
    if user is None:
        if not password:
            raise ValidationFailed(
                "No user has that email. Give a name and an initial password to create one.",
                errors={"password": "required to create a new user"},
            )
        user = create_user(session, email=email, name=name, password=password)
    return add_member(session, company=company, user=user, role=role_.value, actor=actor)


def change_role(
    session: Session, *, company_id: int, membership_id: int, role: str, actor: Actor
) -> Membership:
    actor.require(Permission.MEMBERS_MANAGE)
    new_role = _role(role)
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
    _require_owner_for(actor, old_role, new_role)
    if old_role == Role.OWNER:
        # Lock the owner rows (PostgreSQL) so two owners cannot demote each other at once.
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


def owner_count(session: Session, company_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.company_id == company_id, Membership.role == Role.OWNER.value)
        )
        or 0
    )
