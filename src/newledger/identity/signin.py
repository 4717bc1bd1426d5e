"""The sign-in flow: password step (rate-limited per account and per IP), then the second
factor when the user has 2FA on. Every outcome is recorded in the activity log."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger import ratelimit
from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import AuthenticationFailed, RateLimited
from newledger.identity.models import Membership, User
from newledger.identity.passwords import verify_password
from newledger.identity.services import get_user_by_email, looks_like_email, normalize_email
from newledger.ratelimit import Rule

__all__ = ["check_password", "default_company_id", "record_signed_in", "record_signed_out"]


def _anonymous(label: str, ip: str | None, user_agent: str | None) -> Actor:
    return Actor("user", None, label=label[:200], ip=ip, user_agent=user_agent)


def check_password(
    session: Session, email: str, password: str, *, ip: str | None, user_agent: str | None
) -> User:
    """Return the user whose password this is, or raise. Attempts count per account and per IP;
    the adapter must commit even when this raises, so failures are counted and recorded."""
    email = normalize_email(email)[:320]
    user = get_user_by_email(session, email)
    # What was typed into the email field is sometimes a password: it is recorded only when it
    # names a user or at least looks like an email address, and counters key on its digest.
    actor = _anonymous(
        email if user or looks_like_email(email) else "[not an email address]", ip, user_agent
    )
    keys = [(Rule.SIGNIN_PER_ACCOUNT, hashlib.sha256(email.encode()).hexdigest()[:32])]
    if ip:
        keys.append((Rule.SIGNIN_PER_IP, ip))
    for rule, key in keys:
        decision = ratelimit.hit(rule, key, session=session)
        if not decision.allowed:
            if decision.first_refusal:
                record(
                    session,
                    Event.AUTH_LOGIN_LOCKED,
                    actor,
                    subject_type="user" if user else None,
                    subject_id=user.id if user else None,
                    details={"scope": "account" if rule is Rule.SIGNIN_PER_ACCOUNT else "ip"},
                )
            raise RateLimited(
                f"Too many sign-in attempts. Try again in {decision.reset_seconds} seconds.",
                retry_after=decision.reset_seconds,
            )
    # verify_password checks against a dummy hash for unknown emails: equal timing either way.
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        record(
            session,
            Event.AUTH_LOGIN_FAILED,
            actor,
            subject_type="user" if user else None,
            subject_id=user.id if user else None,
            details={"step": "password", "reason": "bad_credentials"},
        )
        raise AuthenticationFailed("Email or password is incorrect.", code="bad_credentials")
    for rule, key in keys:
        ratelimit.release(rule, key, session=session)
    return user


def default_company_id(session: Session, user_id: int) -> int | None:
    return session.scalar(
        select(Membership.company_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
        .limit(1)
    )


def user_label_actor(user: User, ip: str | None, user_agent: str | None) -> Actor:
    return Actor("user", None, user_id=user.id, label=user.email, ip=ip, user_agent=user_agent)


def record_signed_in(
    session: Session, user: User, *, method: str, ip: str | None, user_agent: str | None
) -> None:
    record(
        session,
        Event.AUTH_LOGIN_SUCCEEDED,
        user_label_actor(user, ip, user_agent),
        subject_type="user",
        subject_id=user.id,
        details={"method": method},
    )


def record_signed_out(
    session: Session, user: User, *, ip: str | None, user_agent: str | None
) -> None:
    record(
        session,
        Event.AUTH_LOGOUT,
        user_label_actor(user, ip, user_agent),
        subject_type="user",
        subject_id=user.id,
    )
