"""Server-side web sessions in ``web_sessions``.

The cookie holds a random 256-bit token; the database stores only its SHA-256 digest, so a read
of the table does not yield usable cookies. Signing in always creates a new row and deletes the
old one (the session id changes at sign-in, which defeats session fixation, OWASP ASVS 3.2.1).
Sign-out deletes the row, so it holds on every instance at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from newledger.config import get_settings
from newledger.db import utcnow
from newledger.identity.models import WebSession

__all__ = [
    "PENDING_TTL",
    "IssuedSession",
    "begin_pending",
    "digest",
    "end",
    "find",
    "list_for_user",
    "revoke_all",
    "sign_in",
    "touch",
]

# A password-verified session has this long to present its TOTP code.
PENDING_TTL = dt.timedelta(minutes=10)
_TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSession:
    token: str  # goes into the cookie, never stored
    row: WebSession


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(
    session: Session,
    previous: WebSession | None,
    *,
    user_id: int | None,
    pending_user_id: int | None,
    company_id: int | None,
    ip: str | None,
    user_agent: str | None,
    ttl: dt.timedelta,
) -> IssuedSession:
    now = utcnow()
    if previous is not None:
        session.execute(delete(WebSession).where(WebSession.id == previous.id))
    # Expired rows are dead weight: sweep this user's at each sign-in step.
    uid = user_id or pending_user_id
    session.execute(
        delete(WebSession).where(
            (WebSession.user_id == uid) | (WebSession.pending_user_id == uid),
            WebSession.expires_at <= now,
        )
    )
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_digest=digest(token),
        user_id=user_id,
        pending_user_id=pending_user_id,
        csrf_token=secrets.token_urlsafe(32),
        company_id=company_id,
        ip=ip,
        user_agent=(user_agent or "")[:400] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return IssuedSession(token, row)


def begin_pending(
    session: Session,
    previous: WebSession | None,
    *,
    user_id: int,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    """A new session that knows the password was right but is not signed in yet."""
    return _issue(
        session,
        previous,
        user_id=None,
        pending_user_id=user_id,
        company_id=None,
        ip=ip,
        user_agent=user_agent,
        ttl=PENDING_TTL,
    )


def sign_in(
    session: Session,
    previous: WebSession | None,
    *,
    user_id: int,
    company_id: int | None,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    """A new signed-in session; ``previous`` (anonymous or pending) is deleted."""
    ttl = dt.timedelta(seconds=get_settings().session_ttl_seconds)
    return _issue(
        session,
        previous,
        user_id=user_id,
        pending_user_id=None,
        company_id=company_id,
        ip=ip,
        user_agent=user_agent,
        ttl=ttl,
    )


def find(session: Session, token: str | None) -> WebSession | None:
    """The live session for a cookie value, or None (unknown, expired or signed out)."""
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(WebSession).where(
            WebSession.token_digest == digest(token), WebSession.expires_at > utcnow()
        )
    )


def touch(row: WebSession) -> None:
    """Keep ``last_seen_at`` roughly current without a write on every request."""
    now = utcnow()
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now


def end(session: Session, row: WebSession) -> None:
    session.execute(delete(WebSession).where(WebSession.id == row.id))


def revoke_all(session: Session, user_id: int, *, except_id: int | None = None) -> int:
    """Delete every session of a user (optionally keeping the current one); return how many."""
    stmt = delete(WebSession).where(
        (WebSession.user_id == user_id) | (WebSession.pending_user_id == user_id)
    )
    if except_id is not None:
        stmt = stmt.where(WebSession.id != except_id)
    result = session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_for_user(session: Session, user_id: int) -> list[WebSession]:
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.expires_at > utcnow())
            .order_by(WebSession.last_seen_at.desc())
        )
    )
