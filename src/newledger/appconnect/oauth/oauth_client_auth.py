"""Authenticating an OAuth client (an MCP client) at the token and revocation endpoints.

PLACEHOLDER for part A (clients), which owns this module: just enough for the grants to be
built and tested against ``nloc_…`` clients written straight into the table. Part A's version
(client ID metadata documents, refusal reasons, the hot read) replaces it whole; the grants use
only ``VerifiedClient.id``, ``client_id``, ``name`` and ``company_id``.

RFC 6749 §2.3.1: a public client (``token_endpoint_auth_method`` ``none``) presents its client
id alone and proves nothing more (PKCE binds its code); a confidential one must present its
secret with the method it registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from newledger.appconnect import secrets
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.oauth.errors import invalid_client
from newledger.db import session_scope
from newledger.runtime import get_sessionmaker

__all__ = ["VerifiedClient", "verify_oauth_client"]


@dataclass(frozen=True, slots=True)
class VerifiedClient:
    id: int  # OAuthClient.id
    client_id: str
    kind: str  # registered | dynamic | metadata
    name: str
    company_id: int | None  # a registered client's company; None for the others


def verify_oauth_client(client_id: str, secret: str | None, method: str) -> VerifiedClient:
    with session_scope(get_sessionmaker()) as session:
        client = session.scalar(
            select(OAuthClient).where(
                OAuthClient.client_id == client_id, OAuthClient.deleted_at.is_(None)
            )
        )
        if client is None:
            raise invalid_client("unknown_client", client_id=client_id)
        registered = client.token_endpoint_auth_method
        if registered == "none":
            if secret is not None:
                raise invalid_client("public_client_sent_secret", client_id=client_id)
        elif method != registered or secret is None:
            raise invalid_client("wrong_auth_method", client_id=client_id)
        elif not secrets.digest_matches(secret, client.secret_digest):
            raise invalid_client("wrong_secret", client_id=client_id)
        return VerifiedClient(
            client.id, client.client_id, client.kind, client.name, client.company_id
        )
