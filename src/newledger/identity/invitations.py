"""Invitations to join a company.

Inviting never adds anyone directly: the person accepts or declines. An account holder with the
invited email sees the invitation after signing in; anyone else opens the invitation link and
creates an account with it. Every invitation has a link (a random token of which only a digest
is stored; single-use, expiring), and the inviter's page says the same thing whether the email
has an account or not, so inviting reveals nothing about which accounts exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.members import parse_role, require_owner_for
from newledger.identity.models import Company, Invitation, Membership, User
from newledger.identity.permissions import Permission
from newledger.identity.services import (
    add_member,
    create_user,
    get_user_by_email,
    looks_like_email,
    normalize_email,
)

__all__ = [
    "INVITATION_TTL",
    "accept",
    "accept_with_new_account",
    "cancel",
    "decline",
    "find_by_token",
    "invite",
    "list_for_company",
    "pending_for_user",
]

INVITATION_TTL = dt.timedelta(days=7)
PENDING, ACCEPTED, DECLINED, CANCELLED = "pending", "accepted", "declined", "cancelled"
_GONE = "This invitation is no longer valid: it was used, declined, cancelled or has expired."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session, *, company: Company, email: str, role: str, actor: Actor
) -> tuple[Invitation, str]:
    """Invite ``email`` as ``role``; return the invitation and its link token (shown once)."""
    actor.require(Permission.MEMBERS_MANAGE)
    role_ = parse_role(role)
    require_owner_for(actor, role_)
    email = normalize_email(email)
    if not looks_like_email(email):
        raise ValidationFailed("Enter an email address.", errors={"email": "invalid"})
    # Members are listed on the inviter's own page, so saying so reveals nothing new.
    member = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.company_id == company.id, User.email == email)
    )
    if member is not None:
        raise Conflict(f"{email} is already a member.", code="already_member")
    now = utcnow()
    pending = session.scalar(
        select(Invitation.id).where(
            Invitation.company_id == company.id,
            Invitation.email == email,
            Invitation.status == PENDING,
            Invitation.expires_at > now,
        )
    )
    if pending is not None:
        raise Conflict(
            f"{email} already has a pending invitation: cancel it to send a new one.",
            code="already_invited",
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        company_id=company.id,
        email=email,
        role=role_.value,
        token_digest=_digest(token),
        invited_by_user_id=actor.user_id,
        status=PENDING,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    session.flush()
    record(
        session,
        Event.MEMBER_INVITED,
        actor,
        company_id=company.id,
        subject_type="invitation",
        subject_id=invitation.id,
        details={"email": email, "role": role_.value},
    )
    return invitation, token


def list_for_company(session: Session, company_id: int) -> list[Invitation]:
    """The company's pending invitations (expired ones too, so they can be cancelled)."""
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.company_id == company_id, Invitation.status == PENDING)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def pending_for_user(session: Session, user: User) -> list[tuple[Invitation, Company]]:
    rows = session.execute(
        select(Invitation, Company)
        .join(Company, Company.id == Invitation.company_id)
        .where(
            Invitation.email == user.email,
            Invitation.status == PENDING,
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    return [(i, c) for i, c in rows]


def _decide(session: Session, invitation: Invitation, status: str) -> None:
    """Compare-and-set from pending, so an invitation is used at most once however it races."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == PENDING)
        .values(status=status, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(_GONE, code="invitation_gone")
    session.refresh(invitation)


def _for_user(session: Session, invitation_id: int, user: User) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != user.email:
        raise NotFound("No such invitation")
    if invitation.status != PENDING or invitation.expires_at <= utcnow():
        raise InvalidState(_GONE, code="invitation_gone")
    return invitation


def _invitee(user: User, company_id: int, actor: Actor | None) -> Actor:
    """The invitee acting on their invitation (with the request's IP and browser, if any)."""
    return Actor(
        "user",
        company_id,
        user_id=user.id,
        label=user.email,
        ip=actor.ip if actor else None,
        user_agent=actor.user_agent if actor else None,
    )


def accept(
    session: Session, *, invitation_id: int, user: User, actor: Actor | None = None
) -> Membership:
    """The signed-in invitee accepts: they become a member with the invited role."""
    invitation = _for_user(session, invitation_id, user)
    return _join(session, invitation, user, _invitee(user, invitation.company_id, actor))


def _join(session: Session, invitation: Invitation, user: User, actor: Actor) -> Membership:
    _decide(session, invitation, ACCEPTED)
    company = session.get(Company, invitation.company_id)
    assert company is not None
    record(
        session,
        Event.INVITATION_ACCEPTED,
        actor,
        company_id=company.id,
        subject_type="invitation",
        subject_id=invitation.id,
        details={"email": user.email, "role": invitation.role},
    )
    return add_member(session, company=company, user=user, role=invitation.role, actor=actor)


def decline(
    session: Session, *, invitation_id: int, user: User, actor: Actor | None = None
) -> None:
    invitation = _for_user(session, invitation_id, user)
    _decide(session, invitation, DECLINED)
    record(
        session,
        Event.INVITATION_DECLINED,
        _invitee(user, invitation.company_id, actor),
        company_id=invitation.company_id,
        subject_type="invitation",
        subject_id=invitation.id,
        details={"email": user.email},
    )


def cancel(session: Session, *, company_id: int, invitation_id: int, actor: Actor) -> None:
    actor.require(Permission.MEMBERS_MANAGE)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.company_id != company_id:
        raise NotFound("No such invitation")
    _decide(session, invitation, CANCELLED)
    record(
        session,
        Event.INVITATION_CANCELLED,
        actor,
        company_id=company_id,
        subject_type="invitation",
        subject_id=invitation.id,
        details={"email": invitation.email},
    )


def find_by_token(session: Session, token: str) -> tuple[Invitation, Company]:
    """The pending, unexpired invitation a link names; otherwise ``InvalidState``."""
    row = session.execute(
        select(Invitation, Company)
        .join(Company, Company.id == Invitation.company_id)
        .where(Invitation.token_digest == _digest(token[:100]))
    ).first()
    if row is None or row[0].status != PENDING or row[0].expires_at <= utcnow():
        raise InvalidState(_GONE, code="invitation_gone")
    return row[0], row[1]


def accept_with_new_account(
    session: Session, *, token: str, name: str, password: str, actor: Actor | None = None
) -> User:
    """Create the invited email's account through the link, and join the company with it."""
    invitation, _company = find_by_token(session, token)
    if get_user_by_email(session, invitation.email) is not None:
        raise InvalidState(
            "This email already has an account: sign in, and the invitation will be waiting.",
            code="sign_in_to_accept",
        )
    user = create_user(session, email=invitation.email, name=name, password=password)
    _join(session, invitation, user, _invitee(user, invitation.company_id, actor))
    return user
