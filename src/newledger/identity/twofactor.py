"""Second-factor policy: TOTP enrolment, verification with replay rejection, recovery codes,
whether a user has a second factor at all (TOTP or a passkey), and step-up confirmation of
sensitive actions with either.

Codes are single-use: the last accepted time-step is stored in ``users.totp_last_counter`` and a
code for the same or an earlier step is refused (RFC 6238 §5.2). The check-and-set is one
conditional UPDATE, so two instances racing with the same code cannot both accept it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from newledger import ratelimit
from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import AuthenticationFailed, InvalidState, RateLimited
from newledger.identity import passkeys, totp
from newledger.identity.models import RecoveryCode, User
from newledger.keys import keyed_digest

__all__ = [
    "RECOVERY_CODE_COUNT",
    "Confirmation",
    "Enrolment",
    "begin_enrolment",
    "confirm_enrolment",
    "confirm_step_up",
    "has_second_factor",
    "regenerate_recovery_codes",
    "remaining_recovery_codes",
    "replace_recovery_codes",
    "use_recovery_code",
    "verify_totp",
]

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def has_second_factor(user: User) -> bool:
    """Whether ``user`` has a second factor: TOTP on, or at least one passkey. The one test for
    "has 2FA" wherever sensitive actions require it."""
    return user.totp_enabled_at is not None or bool(user.passkeys)


@dataclass(frozen=True)
class Confirmation:
    """A step-up answer: a TOTP ``code``, or a ``passkey`` answer (the credential JSON) to a
    challenge bound to ``binding`` (the web session) and ``subject`` (what the action is
    about: the URL path, the consent)."""

    code: str = ""
    passkey: str = ""
    binding: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_data_uri: str


def _digest(code: str) -> str:
    # Random codes, so a fast digest suffices (DESIGN §4); keyed, because a code carries only
    # about 50 bits and a plain SHA-256 in a database dump could be brute-forced offline.
    return keyed_digest("recovery-code", _normalize_recovery(code))


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def begin_enrolment(session: Session, user: User) -> Enrolment:
    """Create (or reuse) a pending secret; 2FA is on only once a code confirms it."""
    if user.totp_enabled_at is not None:
        raise InvalidState("Two-factor authentication is already on", code="totp_enabled")
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        user.totp_last_counter = None
        session.flush()
    uri = totp.provisioning_uri(user.totp_secret, user.email)
    return Enrolment(user.totp_secret, uri, totp.qr_svg_data_uri(uri))


def _rate_keys(user: User, actor: Actor) -> list[tuple[ratelimit.Rule, str]]:
    keys = [(ratelimit.Rule.TOTP_PER_USER, str(user.id))]
    if actor.ip:
        keys.append((ratelimit.Rule.TOTP_PER_IP, actor.ip))
    return keys


def _fail(session: Session, user: User, actor: Actor, purpose: str, reason: str) -> None:
    record(
        session,
        Event.TOTP_FAILED,
        actor,
        company_id=actor.company_id,
        subject_type="user",
        subject_id=user.id,
        details={"purpose": purpose, "reason": reason},
    )


def _check_rate(session: Session, user: User, actor: Actor, purpose: str) -> None:
    for rule, key in _rate_keys(user, actor):
        decision = ratelimit.hit(rule, key, session=session)
        if not decision.allowed:
            if decision.first_refusal:
                record(
                    session,
                    Event.TOTP_LOCKED,
                    actor,
                    subject_type="user",
                    subject_id=user.id,
                    details={"purpose": purpose},
                )
            raise RateLimited(
                f"Too many code attempts. Try again in {decision.reset_seconds} seconds.",
                retry_after=decision.reset_seconds,
            )


def _release_rate(session: Session, user: User, actor: Actor) -> None:
    for rule, key in _rate_keys(user, actor):
        ratelimit.release(rule, key, session=session)


def _accept_code(session: Session, user: User, code: str) -> str | None:
    """Accept ``code`` once; return the refusal reason (``invalid`` / ``replayed``) or None."""
    if not user.totp_secret:
        return "not_enrolled"
    counter = totp.matching_counter(user.totp_secret, code)
    if counter is None:
        return "invalid"
    result = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        )
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return "replayed"
    user.totp_last_counter = counter
    return None


def verify_totp(session: Session, user: User, code: str, actor: Actor, *, purpose: str) -> None:
    """Accept a fresh TOTP code or raise. Failures are recorded and count against the rate
    limit, so the adapter must commit even when this raises ``AuthenticationFailed``."""
    _check_rate(session, user, actor, purpose)
    if user.totp_enabled_at is None:
        raise InvalidState("Two-factor authentication is not on", code="totp_not_enabled")
    reason = _accept_code(session, user, code)
    if reason is not None:
        _fail(session, user, actor, purpose, reason)
        message = (
            "That code was already used. Wait for the next code."
            if reason == "replayed"
            else "That code is not valid."
        )
        raise AuthenticationFailed(message, code=f"totp_{reason}")
    _release_rate(session, user, actor)


def confirm_enrolment(session: Session, user: User, code: str, actor: Actor) -> list[str]:
    """Turn 2FA on with a first valid code; return the recovery codes (shown once)."""
    if user.totp_enabled_at is not None:
        raise InvalidState("Two-factor authentication is already on", code="totp_enabled")
    if not user.totp_secret:
        raise InvalidState("Start enrolment first", code="totp_not_started")
    _check_rate(session, user, actor, "enrol")
    reason = _accept_code(session, user, code)
    if reason is not None:
        _fail(session, user, actor, "enrol", reason)
        raise AuthenticationFailed(
            "That code does not match. Check the time on your device and try again.",
            code=f"totp_{reason}",
        )
    _release_rate(session, user, actor)
    user.totp_enabled_at = utcnow()
    codes = replace_recovery_codes(session, user)
    record(session, Event.TOTP_ENROLLED, actor, subject_type="user", subject_id=user.id)
    return codes


def replace_recovery_codes(session: Session, user: User) -> list[str]:
    """New recovery codes (shown once), replacing any the user had."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_digest=_digest(c)) for c in codes)
    session.flush()
    return codes


def regenerate_recovery_codes(session: Session, user: User, actor: Actor) -> list[str]:
    """Replace every recovery code (call behind a step-up confirmation)."""
    if not has_second_factor(user):
        raise InvalidState("Two-factor authentication is not on", code="totp_not_enabled")
    codes = replace_recovery_codes(session, user)
    record(session, Event.TOTP_RECOVERY_REGENERATED, actor, subject_type="user", subject_id=user.id)
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def use_recovery_code(session: Session, user: User, code: str, actor: Actor) -> int:
    """Spend one recovery code (each works once); return how many remain."""
    _check_rate(session, user, actor, "recovery_code")
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_digest == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        _fail(session, user, actor, "recovery_code", "invalid")
        raise AuthenticationFailed(
            "That recovery code is not valid or was already used.", code="recovery_invalid"
        )
    _release_rate(session, user, actor)
    remaining = remaining_recovery_codes(session, user)
    record(
        session,
        Event.TOTP_RECOVERY_USED,
        actor,
        subject_type="user",
        subject_id=user.id,
        details={"remaining": remaining},
    )
    return remaining


def confirm_step_up(
    session: Session, user: User, answer: Confirmation, actor: Actor, action: str
) -> None:
    """Confirm a sensitive ``action`` with a fresh TOTP code or a passkey, and record that it
    was confirmed (and how).

    Every sensitive action needs its own fresh answer: a TOTP code is single-use (replay
    rejection), a passkey answer is bound to its one-time challenge, which is bound to this
    action and its subject. So one answer cannot approve two actions.
    """
    if answer.passkey:
        ask = passkeys.Ask(
            answer.binding, passkeys.STEP_UP, action, answer.subject, user_id=user.id
        )
        passkeys.verify_assertion(session, ask, answer.passkey, actor)
        method = "passkey"
    elif user.totp_enabled_at is None and user.passkeys:
        raise InvalidState("Confirm this with your passkey.", code="passkey_required")
    else:
        verify_totp(session, user, answer.code, actor, purpose=f"step-up:{action}")
        method = "totp"
    record(
        session,
        Event.STEPUP_CONFIRMED,
        actor,
        subject_type="user",
        subject_id=user.id,
        details={"action": action, "method": method},
    )
