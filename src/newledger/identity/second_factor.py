"""A user's set of second factors as a whole: adding a passkey, removing one, turning TOTP off,
and an instance admin's reset of a locked-out user.

Recovery codes belong to the set, not to TOTP: the first second factor (TOTP or a passkey)
brings them, and removing the last one takes them away, since they would only ever stand in
for a factor the user no longer has. Callers put every removal behind a step-up confirmation,
so removing the last factor always needs a fresh one.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState
from newledger.identity import passkeys, twofactor
from newledger.identity import sessions as web_sessions
from newledger.identity.models import Passkey, RecoveryCode, User

__all__ = ["add_passkey", "disable_totp", "remove_passkey", "reset"]


def add_passkey(
    session: Session, user: User, actor: Actor, *, binding: str, credential: str, name: str
) -> tuple[Passkey, list[str] | None]:
    """Register a passkey; when it is the user's first second factor, also return their new
    recovery codes (shown once)."""
    first = not twofactor.has_second_factor(user)
    passkey = passkeys.register(
        session, user, actor, binding=binding, credential=credential, name=name
    )
    return passkey, (twofactor.replace_recovery_codes(session, user) if first else None)


def _forget_recovery_codes_if_none_left(session: Session, user: User) -> None:
    if not twofactor.has_second_factor(user):
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remove_passkey(session: Session, user: User, passkey_id: int, actor: Actor) -> Passkey:
    passkey = passkeys.delete_passkey(session, user, passkey_id, actor)
    _forget_recovery_codes_if_none_left(session, user)
    return passkey


def disable_totp(session: Session, user: User, actor: Actor) -> None:
    """Turn authenticator-app codes off (recorded); passkeys, if any, stay."""
    if user.totp_enabled_at is None:
        raise InvalidState("Two-factor authentication is not on", code="totp_not_enabled")
    user.totp_enabled_at = None
    user.totp_secret = None
    user.totp_last_counter = None
    session.flush()
    _forget_recovery_codes_if_none_left(session, user)
    record(
        session,
        Event.TOTP_DISABLED,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details={"passkeys_left": len(user.passkeys)},
    )


def reset(session: Session, user: User, actor: Actor) -> dict[str, object]:
    """An instance admin clears every second factor of a locked-out user: TOTP off, passkeys
    and recovery codes gone, every session ended. They sign in with their password and set a
    second factor up again before any sensitive action."""
    removed = int(
        session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id))
        or 0
    )
    had_totp = user.totp_enabled_at is not None
    session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.expire(user, ["passkeys"])
    user.totp_enabled_at = None
    user.totp_secret = None
    user.totp_last_counter = None
    ended = web_sessions.revoke_all(session, user.id)
    session.flush()
    details: dict[str, object] = {
        "email": user.email,
        "totp_was_on": had_totp,
        "passkeys_removed": removed,
        "sessions_ended": ended,
    }
    record(
        session,
        Event.SECOND_FACTORS_RESET,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details=details,
    )
    return details
