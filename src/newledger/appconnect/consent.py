"""The consent screen's rules: what a user is offered, and approving or denying an OAuth client.

``open_consent`` stores a validated authorization request for one web session and returns a
random consent id (only its digest is stored). ``approve`` and ``deny`` take that id back and
answer the request once, from that session only (DESIGN §8: consent is bound to the signed-in
session and used once): a consent id read out of someone else's page is worth nothing, and
the id is the only thing the form carries: client, redirect URI, PKCE challenge, resource and
``state`` never travel through it.

Approving needs a fresh second factor (DESIGN §8): a TOTP code, or a passkey answering a
challenge bound to this session and to this very consent (``step_up_subject``). It issues the
authorization code (``oauth/codes.py``), records ``appconnect:consent:granted`` and marks the
client as consented (dynamic clients that never get that far are cleaned up). Denying needs
no code: declining must always be possible.
"""

from __future__ import annotations

import datetime as dt
import secrets as _random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.models import ConsentRequest, OAuthClient
from newledger.appconnect.oauth import codes
from newledger.appconnect.oauth.authorize import AuthorizationRequest, response_url
from newledger.appconnect.scopes import scope_string
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import NotFound, ValidationFailed
from newledger.identity import passkeys, twofactor
from newledger.identity.models import Company, User
from newledger.identity.permissions import Permission
from newledger.identity.services import permissions_for

__all__ = [
    "CONSENT_TTL",
    "ConsentGone",
    "OpenConsent",
    "approve",
    "deny",
    "find_open",
    "offered_permissions",
    "open_consent",
    "passkey_options",
    "step_up_subject",
]

# How long a consent screen may stay open before its answer is refused.
CONSENT_TTL = dt.timedelta(minutes=10)
STEP_UP_ACTION = "oauth.consent"


class ConsentGone(NotFound):
    """No open consent with this id for this session: answered already, expired, from another
    session, or never issued. The page says so; nothing goes to the client."""

    def __init__(self) -> None:
        super().__init__(
            "This consent request was already answered, has expired, or belongs to another "
            "browser session. Start the connection again from the app.",
            code="consent_gone",
        )


@dataclass(frozen=True, slots=True)
class OpenConsent:
    row: ConsentRequest
    client: OAuthClient
    company: Company
    offered: frozenset[Permission]


def offered_permissions(
    session: Session, user: User, company: Company, asked: Iterable[Permission]
) -> frozenset[Permission]:
    """What the screen offers: asked for, delegable (``asked`` already is), and held by the user
    in that company now (delegated, not elevated: DESIGN §3)."""
    return frozenset(asked) & permissions_for(session, user.id, company.id)


def open_consent(
    session: Session,
    *,
    web_session_id: int,
    user: User,
    request: AuthorizationRequest,
    company: Company,
) -> tuple[str, OpenConsent]:
    """Store ``request`` as waiting for this session's answer; return the consent id (for the
    form) and what the screen shows."""
    now = utcnow()
    # This session's finished or stale screens are dead weight: sweep them as a new one opens.
    session.execute(
        delete(ConsentRequest).where(
            ConsentRequest.web_session_id == web_session_id,
            (ConsentRequest.expires_at <= now) | ConsentRequest.answered_at.is_not(None),
        )
    )
    offered = offered_permissions(session, user, company, request.permissions)
    consent_id = _random.token_urlsafe(32)
    row = ConsentRequest(
        consent_digest=secrets.digest(consent_id),
        web_session_id=web_session_id,
        client_pk=request.client.id,
        company_id=company.id,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        resource=request.resource,
        state=request.state,
        permissions=scope_string(offered),
        expires_at=now + CONSENT_TTL,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return consent_id, OpenConsent(row, request.client, company, offered)


def find_open(session: Session, *, web_session_id: int, consent_id: str) -> OpenConsent:
    """The unanswered, unexpired consent this session was shown, or ``ConsentGone``."""
    if not consent_id or len(consent_id) > 100:
        raise ConsentGone()
    row = session.scalar(
        select(ConsentRequest).where(
            ConsentRequest.consent_digest == secrets.digest(consent_id),
            ConsentRequest.web_session_id == web_session_id,
            ConsentRequest.answered_at.is_(None),
            ConsentRequest.expires_at > utcnow(),
        )
    )
    client = session.get(OAuthClient, row.client_pk) if row is not None else None
    company = session.get(Company, row.company_id) if row is not None else None
    if row is None or client is None or client.deleted_at is not None or company is None:
        raise ConsentGone()
    offered = frozenset(Permission(p) for p in row.permissions.split())
    return OpenConsent(row, client, company, offered)


def _claim(session: Session, row: ConsentRequest) -> None:
    """Mark the consent answered, once: of two racing answers (a double click, two tabs) one
    conditional UPDATE wins; the other gets ``ConsentGone``."""
    result = session.execute(
        update(ConsentRequest)
        .where(ConsentRequest.id == row.id, ConsentRequest.answered_at.is_(None))
        .values(answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConsentGone()


def _details(consent: OpenConsent, permissions: Iterable[Permission]) -> dict[str, object]:
    return {
        "client_id": consent.client.client_id,
        "client_name": consent.client.name,
        "client_kind": consent.client.kind,
        "resource": consent.row.resource,
        "permissions": scope_string(permissions),
    }


def step_up_subject(consent: OpenConsent) -> str:
    """What a passkey answer approving this consent is bound to: the client and this one
    consent request, so it approves no other client's connection, nor this one's twice."""
    return f"{consent.client.client_id} consent {consent.row.id}"


def passkey_options(session: Session, user: User, consent: OpenConsent, binding: str) -> str:
    """WebAuthn options for approving ``consent`` with one of ``user``'s passkeys."""
    ask = passkeys.Ask(
        binding, passkeys.STEP_UP, STEP_UP_ACTION, step_up_subject(consent), user_id=user.id
    )
    return passkeys.authentication_options(session, ask, user)


def approve(
    session: Session,
    actor: Actor,
    user: User,
    consent: OpenConsent,
    chosen: Iterable[str],
    answer: twofactor.Confirmation,
) -> str:
    """Approve with the ``chosen`` permissions and a fresh second factor (``answer``: a TOTP
    code, or a passkey answer bound to ``step_up_subject(consent)``); return the authorization
    response URL (code, state, iss). Raises ``ValidationFailed`` (nothing chosen, or something
    not offered), the errors of ``twofactor.confirm_step_up`` (the caller commits then, so
    the failed attempt counts) or ``ConsentGone``.
    """
    names = set(chosen)
    offered = {p.value: p for p in consent.offered}
    if not names:
        raise ValidationFailed(
            "Choose at least one permission, or deny the request.",
            errors={"permissions": "required"},
        )
    if not names <= offered.keys():
        raise ValidationFailed(
            "Only the permissions on this screen can be granted.",
            errors={"permissions": "not_offered"},
        )
    # Held now, not only when the screen opened: a role may have changed in between.
    held = permissions_for(session, user.id, consent.company.id)
    granted = frozenset(offered[name] for name in names) & held
    if not granted:
        raise ValidationFailed(
            "You no longer hold any of these permissions in this company.",
            errors={"permissions": "not_held"},
        )
    step_up_actor = _in_company(actor, consent.company.id)
    answer = replace(answer, subject=step_up_subject(consent))
    twofactor.confirm_step_up(session, user, answer, step_up_actor, STEP_UP_ACTION)
    _claim(session, consent.row)
    code = codes.issue_code(
        session,
        client_pk=consent.client.id,
        user_id=user.id,
        company_id=consent.company.id,
        redirect_uri=consent.row.redirect_uri,
        code_challenge=consent.row.code_challenge,
        permissions=granted,
        resource=consent.row.resource,
    )
    session.execute(
        update(OAuthClient)
        .where(OAuthClient.id == consent.client.id, OAuthClient.first_consented_at.is_(None))
        .values(first_consented_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        Event.CONSENT_GRANTED,
        step_up_actor,
        company_id=consent.company.id,
        subject_type="oauth_client",
        subject_id=consent.client.id,
        details=_details(consent, granted),
    )
    return response_url(consent.row.redirect_uri, {"code": code}, consent.row.state)


def deny(session: Session, actor: Actor, consent: OpenConsent) -> str:
    """Decline; return the ``access_denied`` response URL (with state and iss)."""
    _claim(session, consent.row)
    record(
        session,
        Event.CONSENT_DENIED,
        _in_company(actor, consent.company.id),
        company_id=consent.company.id,
        subject_type="oauth_client",
        subject_id=consent.client.id,
        details=_details(consent, consent.offered),
    )
    params = {"error": "access_denied", "error_description": "The user denied the request"}
    return response_url(consent.row.redirect_uri, params, consent.row.state)


def _in_company(actor: Actor, company_id: int) -> Actor:
    """The signed-in user as the actor of this consent: its company is the consent's, which
    need not be the one the session has open."""
    return replace(actor, company_id=company_id)
