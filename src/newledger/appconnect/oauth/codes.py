"""Authorization codes (``nlac_…``): issued at consent, redeemed once at the token endpoint.

Only the digest is stored (DESIGN §4). A code carries the whole approved consent (client,
user, company, permissions, resource, redirect URI, PKCE challenge) until the token endpoint
redeems it and creates the connection (``oauth/code_grant.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from newledger.appconnect import secrets
from newledger.appconnect.models import AuthorizationCode
from newledger.config import get_settings
from newledger.db import utcnow
from newledger.identity.permissions import Permission

__all__ = ["issue_code"]


def issue_code(
    session: Session,
    *,
    client_pk: int,
    user_id: int,
    company_id: int,
    redirect_uri: str,
    code_challenge: str,
    permissions: Iterable[Permission],
    resource: str,
) -> str:
    """Store a new code's digest (in the caller's transaction) and return the code itself."""
    code = secrets.generate(secrets.AUTHORIZATION_CODE_PREFIX)
    ttl = dt.timedelta(seconds=get_settings().authorization_code_ttl_seconds)
    session.add(
        AuthorizationCode(
            code_digest=secrets.digest(code),
            client_pk=client_pk,
            user_id=user_id,
            company_id=company_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            permissions=" ".join(sorted(p.value for p in permissions)),
            resource=resource,
            expires_at=utcnow() + ttl,
        )
    )
    session.flush()
    return code
