"""Authenticating an OAuth client (an MCP client) at the token and revocation endpoints.

RFC 6749 §2.3 and OAuth 2.1 §2.4: a public client (``token_endpoint_auth_method`` ``none``:
dynamic clients that asked for it, every client ID metadata document client, registered
public apps) sends its ``client_id`` alone and proves nothing; PKCE binds its codes instead. A
confidential client must send its secret (``client_secret_basic`` or ``client_secret_post``:
either is accepted, as most servers do, since both carry the same secret over TLS). A public
client that sends a secret, or a confidential one that does not, is refused: one client, one
way to authenticate.

A URL-shaped client id is looked up, not fetched: its row was stored when the document was
fetched at the authorization endpoint, and a token request must not wait on (or be steered
into) an outbound fetch. Its redirect URIs only matter at the authorization endpoint, where the
document is refreshed when its cache time has run out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, select

from newledger.appconnect import secrets
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.oauth.errors import invalid_client
from newledger.hotread import HotReader
from newledger.runtime import get_engine

__all__ = ["OAUTH_CLIENT_ID", "VerifiedClient", "verify_oauth_client"]

OAUTH_CLIENT_ID = re.compile(r"nloc_[0-9A-Za-z]{17}")


@dataclass(frozen=True, slots=True)
class VerifiedClient:
    """An OAuth client that authenticated (or, public, identified itself) at an endpoint."""

    id: int  # OAuthClient.id (``client_pk`` of its codes and connections)
    client_id: str
    kind: str  # registered | dynamic | metadata
    # A registered client belongs to one company; dynamic and metadata clients to none.
    company_id: int | None
    name: str
    confidential: bool


class _Row(NamedTuple):
    id: int
    client_id: str
    kind: str
    company_id: int | None
    name: str
    token_endpoint_auth_method: str
    secret_digest: str | None


_BY_CLIENT_ID = select(
    OAuthClient.id,
    OAuthClient.client_id,
    OAuthClient.kind,
    OAuthClient.company_id,
    OAuthClient.name,
    OAuthClient.token_endpoint_auth_method,
    OAuthClient.secret_digest,
).where(OAuthClient.client_id == bindparam("client_id"), OAuthClient.deleted_at.is_(None))


@lru_cache(maxsize=1)
def _reader() -> HotReader:
    return HotReader(get_engine(), _BY_CLIENT_ID)


def verify_oauth_client(client_id: str, secret: str | None, method: str) -> VerifiedClient:
    """Check a presented OAuth client; raise ``invalid_client`` (with a reason for activity).

    ``method`` is how the credentials came (``none``, ``client_secret_basic``,
    ``client_secret_post``, as ``client_auth.read_client`` saw them)."""
    raw = _reader().fetchone(client_id=client_id)
    if raw is None:
        raise invalid_client("unknown_client", client_id=client_id)
    row = _Row(*raw)
    confidential = row.token_endpoint_auth_method != "none"  # noqa: S105 (a method name)
    if not confidential:
        if method != "none" or secret:
            raise invalid_client("public_client_sent_secret", company_id=row.company_id)
    else:
        if secret is None or method == "none":
            raise invalid_client("no_client_secret", company_id=row.company_id)
        if not secrets.has_valid_checksum(secret, secrets.CLIENT_SECRET_PREFIX):
            raise invalid_client("malformed_secret", company_id=row.company_id)
        if not secrets.digest_matches(secret, row.secret_digest):
            raise invalid_client("wrong_secret", company_id=row.company_id)
    return VerifiedClient(
        id=row.id,
        client_id=row.client_id,
        kind=row.kind,
        company_id=row.company_id,
        name=row.name,
        confidential=confidential,
    )
