"""Passkeys (WebAuthn): registering them, and checking a passkey's answer to a challenge.

The cryptography (CBOR, COSE keys, attestation, signatures) is py_webauthn's; this module holds
the rules around it:

- the relying party is ``NEWLEDGER_PUBLIC_URL``: its host is the RP id, its origin the only
  origin accepted;
- user verification is required (a passkey is then both factors: something held and a PIN or
  a fingerprint);
- every challenge is random, single-use, lives two minutes, is stored server-side (only its
  digest) and is bound to the web session (or, before sign-in, the pre-session cookie) and to
  what it confirms: the purpose, the step-up action and its subject (the URL path, the consent).
  The answer is looked up by its own challenge and that binding together, and the row is
  deleted as it is accepted, so an answer made for "rotate app A" approves nothing else, and
  approves that only once;
- the signature counter must go up (both 0 is allowed: authenticators without a counter send 0
  every time); the new value is stored with a conditional UPDATE, so two racing uses of one
  answer cannot both pass.

A refused answer is recorded (``identity:passkey:failed``) and raises ``AuthenticationFailed``;
the adapter commits even then, so the record stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.config import Settings, get_settings
from newledger.db import utcnow
from newledger.errors import AuthenticationFailed, InvalidState, NotFound, ValidationFailed
from newledger.identity.models import Passkey, PasskeyChallenge, User
from newledger.keys import keyed_digest

__all__ = [
    "CHALLENGE_TTL",
    "MAX_NAME_LENGTH",
    "MAX_PASSKEYS",
    "REGISTER",
    "SIGN_IN",
    "STEP_UP",
    "Ask",
    "RelyingParty",
    "authentication_options",
    "clean_name",
    "delete_passkey",
    "get_passkey",
    "presession_binding",
    "register",
    "registration_options",
    "relying_party",
    "rename",
    "session_binding",
    "verify_assertion",
]

CHALLENGE_TTL = dt.timedelta(minutes=2)
MAX_PASSKEYS = 20
MAX_NAME_LENGTH = 100
# What a challenge is for (``PasskeyChallenge.purpose``).
REGISTER = "register"
SIGN_IN = "sign-in"
STEP_UP = "step-up"
# How long the browser may wait for the person (a hint; the challenge itself lives 2 minutes).
_TIMEOUT_MS = 120_000
# Credential JSON larger than this is not a passkey answer (ids are at most 1023 bytes).
_MAX_CREDENTIAL_JSON = 64 * 1024


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    origin: str
    name: str

    @property
    def usable(self) -> bool:
        """Whether browsers will make passkeys for this RP id: they refuse an IP address (the
        WebAuthn spec's RP id is a registrable domain or ``localhost``)."""
        try:
            ipaddress.ip_address(self.id)
        except ValueError:
            return bool(self.id)
        return False


def relying_party(settings: Settings | None = None) -> RelyingParty:
    """The RP id and origin from ``NEWLEDGER_PUBLIC_URL`` (the host people sign in on)."""
    parts = urlsplit((settings or get_settings()).issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    return RelyingParty(id=parts.hostname or "", origin=origin, name="NewLedger")


def session_binding(web_session_id: int) -> str:
    return keyed_digest("passkey-binding", f"session:{web_session_id}")


def presession_binding(nonce: str) -> str:
    """Before sign-in there is no session row: the pre-session cookie's value binds instead."""
    return keyed_digest("passkey-binding", f"presession:{nonce}")


@dataclass(frozen=True, slots=True)
class Ask:
    """What a challenge is bound to: the browser's session and what its answer confirms.
    ``user_id`` names whose passkey must answer (None: anyone's, for username-less sign-in)."""

    binding: str
    purpose: str
    action: str = ""
    subject: str = ""
    user_id: int | None = None


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _new_challenge(session: Session, ask: Ask) -> bytes:
    now = utcnow()
    # Unanswered challenges are dead weight once expired: sweep them as new ones are made.
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    session.add(
        PasskeyChallenge(
            challenge_digest=_digest(challenge),
            binding=ask.binding,
            purpose=ask.purpose,
            action=ask.action[:64],
            subject=ask.subject[:500],
            user_id=ask.user_id,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    session.flush()
    return challenge


def _claim(session: Session, challenge: bytes, ask: Ask) -> bool:
    """Spend the challenge: true only for a live one made for exactly this ``ask``."""
    whose = (
        PasskeyChallenge.user_id.is_(None)
        if ask.user_id is None
        else PasskeyChallenge.user_id == ask.user_id
    )
    result = session.execute(
        delete(PasskeyChallenge)
        .where(
            PasskeyChallenge.challenge_digest == _digest(challenge),
            PasskeyChallenge.binding == ask.binding,
            PasskeyChallenge.purpose == ask.purpose,
            PasskeyChallenge.action == ask.action[:64],
            PasskeyChallenge.subject == ask.subject[:500],
            PasskeyChallenge.expires_at > utcnow(),
            whose,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey.transports.split():
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue  # a transport newer than the library: leave it out, the browser copes
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def _user_handle(session: Session, user: User) -> bytes:
    if not user.webauthn_user_handle:
        user.webauthn_user_handle = bytes_to_base64url(secrets.token_bytes(32))
        session.flush()
    return base64url_to_bytes(user.webauthn_user_handle)


# ------------------------------------------------------------------------------- registration


def registration_options(session: Session, user: User, *, binding: str) -> str:
    """The ``navigator.credentials.create`` options (JSON) for a new passkey of ``user``: a
    discoverable credential (so it can sign in without an email), user verification required,
    and the user's passkeys excluded (one authenticator, one passkey)."""
    if len(user.passkeys) >= MAX_PASSKEYS:
        raise InvalidState(f"You can have at most {MAX_PASSKEYS} passkeys.", code="too_many")
    rp = relying_party()
    challenge = _new_challenge(session, Ask(binding, REGISTER, user_id=user.id))
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=_user_handle(session, user),
        user_display_name=user.name or user.email,
        challenge=challenge,
        timeout=_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in user.passkeys],
    )
    return str(options_to_json(options))


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            f"Give the passkey a name of 1 to {MAX_NAME_LENGTH} characters.",
            errors={"name": "invalid"},
        )
    return name


def register(
    session: Session, user: User, actor: Actor, *, binding: str, credential: str, name: str
) -> Passkey:
    """Check the authenticator's answer to this user's registration challenge and keep the
    passkey (recorded as ``identity:passkey:added``)."""
    name = clean_name(name)
    if len(credential) > _MAX_CREDENTIAL_JSON:
        _refuse(session, actor, user, REGISTER, "", "malformed")
    try:
        parsed = parse_registration_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except (InvalidJSONStructure, InvalidRegistrationResponse, ValueError, TypeError, KeyError):
        _refuse(session, actor, user, REGISTER, "", "malformed")
    if not _claim(session, challenge, Ask(binding, REGISTER, user_id=user.id)):
        _refuse(session, actor, user, REGISTER, "", "challenge")
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError) as exc:
        _refuse(session, actor, user, REGISTER, "", "invalid", note=str(exc))
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise InvalidState("This passkey is already registered.", code="passkey_exists")
    transports = parsed.response.transports or []
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        transports=" ".join(str(t.value) for t in transports)[:200],
        backed_up=bool(verified.credential_backed_up),
        created_at=utcnow(),
    )
    user.passkeys.append(passkey)
    session.flush()
    record(
        session,
        Event.PASSKEY_ADDED,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details={"passkey_id": passkey.id, "name": name},
    )
    return passkey


# ----------------------------------------------------------------------------- authentication


def authentication_options(session: Session, ask: Ask, user: User | None = None) -> str:
    """The ``navigator.credentials.get`` options (JSON) for a challenge bound to ``ask``. With
    ``user``, only their passkeys are offered; without, any discoverable one (sign-in)."""
    if user is not None and not user.passkeys:
        raise InvalidState("You have no passkey.", code="no_passkey")
    challenge = _new_challenge(session, ask)
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=challenge,
        timeout=_TIMEOUT_MS,
        allow_credentials=[_descriptor(p) for p in user.passkeys] if user is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return str(options_to_json(options))


def verify_assertion(session: Session, ask: Ask, credential: str, actor: Actor) -> Passkey:
    """The passkey whose answer this is, once the answer checks out for ``ask``; else the
    refusal is recorded and ``AuthenticationFailed`` raised."""
    user = session.get(User, ask.user_id) if ask.user_id is not None else None
    if len(credential) > _MAX_CREDENTIAL_JSON:
        _refuse(session, actor, user, ask.purpose, ask.action, "malformed")
    try:
        parsed = parse_authentication_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
        new_count = parse_authenticator_data(parsed.response.authenticator_data).sign_count
    except (InvalidJSONStructure, InvalidAuthenticationResponse, ValueError, TypeError, KeyError):
        _refuse(session, actor, user, ask.purpose, ask.action, "malformed")
    if not _claim(session, challenge, ask):
        _refuse(session, actor, user, ask.purpose, ask.action, "challenge")
    passkey = session.scalar(select(Passkey).where(Passkey.credential_id == parsed.id))
    if passkey is None or (ask.user_id is not None and passkey.user_id != ask.user_id):
        _refuse(session, actor, user, ask.purpose, ask.action, "unknown_passkey")
    owner = passkey.user
    if not owner.is_active:
        _refuse(session, actor, owner, ask.purpose, ask.action, "inactive")
    handle = parsed.response.user_handle
    if handle and bytes_to_base64url(handle) != owner.webauthn_user_handle:
        _refuse(session, actor, owner, ask.purpose, ask.action, "user_handle")
    old_count = passkey.sign_count
    if (new_count > 0 or old_count > 0) and new_count <= old_count:
        # A counter that did not go up: a cloned authenticator, or this answer replayed.
        _refuse(session, actor, owner, ask.purpose, ask.action, "counter")
    rp = relying_party()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=old_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError) as exc:
        _refuse(session, actor, owner, ask.purpose, ask.action, "invalid", note=str(exc))
    new_count = verified.new_sign_count
    # Up, or 0 and 0 (no counter): the same rule again, as one statement racing uses cannot pass.
    counted = Passkey.sign_count == 0 if new_count == 0 else Passkey.sign_count < new_count
    result = session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, counted)
        .values(
            sign_count=verified.new_sign_count,
            last_used_at=utcnow(),
            backed_up=verified.credential_backed_up,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        _refuse(session, actor, owner, ask.purpose, ask.action, "counter")
    session.refresh(passkey)
    return passkey


def _refuse(
    session: Session,
    actor: Actor,
    user: User | None,
    purpose: str,
    action: str,
    reason: str,
    *,
    note: str = "",
) -> NoReturn:
    details: dict[str, object] = {"purpose": purpose, "reason": reason}
    if action:
        details["action"] = action
    if note:
        details["detail"] = note[:200]  # the library's words: about the data, never a secret
    record(
        session,
        Event.PASSKEY_FAILED,
        actor,
        subject_type="user" if user is not None else None,
        subject_id=user.id if user is not None else None,
        details=details,
    )
    message = {
        "challenge": "That passkey answer is not for this request, or it expired. Try again.",
        "unknown_passkey": "That passkey is not registered to this account.",
    }.get(reason, "That passkey could not be verified. Try again.")
    raise AuthenticationFailed(message, code=f"passkey_{reason}")


# ------------------------------------------------------------------------------- managing


def get_passkey(session: Session, user: User, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound("No such passkey")
    return passkey


def rename(session: Session, user: User, passkey_id: int, name: str, actor: Actor) -> Passkey:
    passkey = get_passkey(session, user, passkey_id)
    name = clean_name(name)
    if name != passkey.name:
        old, passkey.name = passkey.name, name
        session.flush()
        record(
            session,
            Event.PASSKEY_RENAMED,
            actor,
            company_id=None,
            subject_type="user",
            subject_id=user.id,
            details={"passkey_id": passkey.id, "name": name, "was": old},
        )
    return passkey


def delete_passkey(session: Session, user: User, passkey_id: int, actor: Actor) -> Passkey:
    """Remove one passkey (recorded). Whether it was the last second factor is the caller's
    concern (``second_factor.remove_passkey``)."""
    passkey = get_passkey(session, user, passkey_id)
    user.passkeys.remove(passkey)
    session.flush()
    record(
        session,
        Event.PASSKEY_REMOVED,
        actor,
        company_id=None,
        subject_type="user",
        subject_id=user.id,
        details={"passkey_id": passkey_id, "name": passkey.name},
    )
    return passkey
