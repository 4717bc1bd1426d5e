"""Authenticating an API credential app at the token endpoint: client id and secret, one read.

An API credential app authenticates like a confidential OAuth client (``client_secret_basic``
or ``client_secret_post``) but is not one: it is created in Settings → App Connect and only
uses ``client_credentials``. Whether its grant is live is decided by ``grants.app_grant``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam

from newledger.appconnect import secrets
from newledger.appconnect.grants import app_grant, app_with_creator
from newledger.appconnect.models import App
from newledger.appconnect.oauth.errors import invalid_client
from newledger.db import utcnow
from newledger.hotread import HotReader, as_utc
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.runtime import get_engine

__all__ = ["APP_CLIENT_ID", "VerifiedApp", "verify_app"]

APP_CLIENT_ID = re.compile(r"nlci_[0-9A-Za-z]{17}")


@dataclass(frozen=True, slots=True)
class VerifiedApp:
    id: int
    company_id: int
    company_slug: str
    name: str
    version: int
    delegated: frozenset[Permission]
    # What the app may do now (``Grant.effective``): delegated ∩ its creator's permissions.
    effective: frozenset[Permission]
    last_used_at: dt.datetime | None


_BY_CLIENT_ID = (
    app_with_creator(
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
        Company.slug,
    )
    .join(Company, Company.id == App.company_id)
    .where(App.client_id == bindparam("client_id"))
)


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
    company_slug: str
    role: str | None
    is_active: Any


_EXPIRES_AT = _Row._fields.index("expires_at")


@lru_cache(maxsize=1)
def _reader() -> HotReader:
    return HotReader(get_engine(), _BY_CLIENT_ID)


def verify_app(client_id: str, secret: str | None) -> VerifiedApp:
    """Check the client id and secret, then the app's grant; raise ``invalid_client``.

    The secret's checksum is checked first, so a mistyped secret costs no database read. The
    secret is compared before the grant's state, so the activity reason says "revoked" only to
    whoever holds the right secret.
    """
    if secret is None:
        raise invalid_client("no_client_secret")
    if not secrets.has_valid_checksum(secret, secrets.CLIENT_SECRET_PREFIX):
        raise invalid_client("malformed_secret")
    raw = _reader().fetchone(client_id=client_id)
    if raw is None:
        raise invalid_client("unknown_client")
    # expires_at as an aware datetime (SQLite returns text), which app_grant compares.
    values = list(raw)
    values[_EXPIRES_AT] = as_utc(values[_EXPIRES_AT])
    row = _Row(*values)
    now = utcnow()
    presented = secrets.digest(secret)
    # Both comparisons always run, in constant time, whichever matches.
    current_ok = secrets.digest_matches_digest(presented, row.secret_digest)
    previous_until = as_utc(row.previous_secret_expires_at)
    previous_ok = secrets.digest_matches_digest(presented, row.previous_secret_digest) and (
        previous_until is not None and previous_until > now
    )
    if not (current_ok or previous_ok):
        raise invalid_client("wrong_secret", row.id, row.company_id)
    grant = app_grant(row, role=row.role, is_active=row.is_active, now=now)
    if not grant.status.live:
        raise invalid_client(f"app_{grant.status.value}", row.id, row.company_id)
    return VerifiedApp(
        id=row.id,
        company_id=row.company_id,
        company_slug=row.company_slug,
        name=row.name,
        version=row.version,
        delegated=grant.delegated,
        effective=grant.effective,
        last_used_at=as_utc(row.last_used_at),
    )
