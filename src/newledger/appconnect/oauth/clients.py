"""Verifying an API credential app's client id and secret with one indexed read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.auth import delegated_permissions
from newledger.appconnect.grants import (
    app_with_creator,
    creator_is_live,
    creator_permissions,
)
from newledger.appconnect.models import App
from newledger.appconnect.oauth.client_auth import PresentedClient
from newledger.appconnect.oauth.errors import OAuthError, invalid_client
from newledger.appconnect.oauth.hotread import HotReader, as_utc
from newledger.audit.models import Activity
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.identity.permissions import Permission
from newledger.runtime import get_engine

__all__ = ["VerifiedApp", "loggable_client_id", "record_failure", "verify_app_client"]

_CLIENT_ID = re.compile(r"nlci_[0-9A-Za-z]{17}")


@dataclass(frozen=True, slots=True)
class VerifiedApp:
    id: int
    company_id: int
    name: str
    version: int
    delegated: frozenset[Permission]
    # The creator's permissions in the company right now (empty when they left).
    current: frozenset[Permission]
    last_used_at: dt.datetime | None


_BY_CLIENT_ID = app_with_creator(
    App.id,
    App.company_id,
    App.name,
    App.permissions,
    App.secret_digest,
    App.previous_secret_digest,
    App.previous_secret_expires_at,
    App.version,
    App.expires_at,
    App.revoked_at,
    App.deleted_at,
    App.last_used_at,
).where(App.client_id == bindparam("client_id"))


class _Row(NamedTuple):
    """One row of ``_BY_CLIENT_ID``, in its column order."""

    id: int
    company_id: int
    name: str
    permissions: str
    secret_digest: str
    previous_secret_digest: str | None
    previous_secret_expires_at: Any
    version: int
    expires_at: Any
    revoked_at: Any
    deleted_at: Any
    last_used_at: Any
    role: str | None
    is_active: Any


@lru_cache(maxsize=1)
def _reader() -> HotReader:
    return HotReader(get_engine(), _BY_CLIENT_ID)


def fetch_app_row(client_id: str) -> _Row | None:
    raw = _reader().fetchone(client_id=client_id)
    return _Row(*raw) if raw is not None else None


def verify_app_client(client: PresentedClient) -> VerifiedApp:
    """Check the client id and secret, then the app's state; raise ``invalid_client``.

    The secret's checksum is checked first, so a mistyped secret costs no database read. The
    secret is compared before the app's state, so the activity reason says "revoked" only to
    whoever holds the right secret.
    """
    if not _CLIENT_ID.fullmatch(client.client_id):
        raise invalid_client("unknown_client")
    if client.secret is None:
        raise invalid_client("no_client_secret")
    if not secrets.has_valid_checksum(client.secret, secrets.CLIENT_SECRET_PREFIX):
        raise invalid_client("malformed_secret")
    row = fetch_app_row(client.client_id)
    if row is None:
        raise invalid_client("unknown_client")
    now = utcnow()
    presented = secrets.digest(client.secret)
    # Both comparisons always run, in constant time, whichever matches.
    current_ok = secrets.digest_matches_digest(presented, row.secret_digest)
    previous_until = as_utc(row.previous_secret_expires_at)
    previous_ok = secrets.digest_matches_digest(presented, row.previous_secret_digest) and (
        previous_until is not None and previous_until > now
    )
    if not (current_ok or previous_ok):
        raise invalid_client("wrong_secret", row.id, row.company_id)
    if row.deleted_at is not None:
        raise invalid_client("app_deleted", row.id, row.company_id)
    if row.revoked_at is not None:
        raise invalid_client("app_revoked", row.id, row.company_id)
    expires_at = as_utc(row.expires_at)
    if expires_at is not None and expires_at <= now:
        raise invalid_client("app_expired", row.id, row.company_id)
    if not creator_is_live(row.role, row.is_active):
        raise invalid_client("creator_not_member", row.id, row.company_id)
    return VerifiedApp(
        id=row.id,
        company_id=row.company_id,
        name=row.name,
        version=row.version,
        delegated=delegated_permissions(row.permissions),
        current=creator_permissions(row.role, row.is_active),
        last_used_at=as_utc(row.last_used_at),
    )


def loggable_client_id(value: str) -> str:
    """The client id as it may be logged: anything not shaped like a client id (a pasted
    secret, say) is replaced, so the activity log can never hold a secret."""
    return value if _CLIENT_ID.fullmatch(value) else "[malformed]"


def record_failure(session: Session, exc: OAuthError, client_id: str, request: Request) -> None:
    """One activity row per refused token request: the reason and client id, never a secret."""
    actor = Actor(
        "system",
        exc.company_id,
        label="token endpoint",
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    record(
        session,
        Event.TOKEN_FAILED,
        actor,
        subject_type="app" if exc.app_id else None,
        subject_id=exc.app_id,
        details={
            "error": exc.error,
            "reason": exc.reason,
            "client_id": loggable_client_id(client_id),
            "grant_type": "client_credentials",
        },
    )
    if exc.reason == "app_expired" and exc.app_id is not None:
        _record_expiry_once(session, exc.app_id, actor)


def _record_expiry_once(session: Session, app_id: int, actor: Actor) -> None:
    """Expiry is a lifecycle event (DESIGN §8). Nothing runs at the moment an app expires, so it
    is recorded the first time the expired app is refused, once per app."""
    seen = session.scalar(
        select(Activity.id)
        .where(
            Activity.company_id == actor.company_id,
            Activity.event == Event.APP_EXPIRED.value,
            Activity.subject_type == "app",
            Activity.subject_id == app_id,
        )
        .limit(1)
    )
    if seen is None:
        record(session, Event.APP_EXPIRED, actor, subject_type="app", subject_id=app_id)
