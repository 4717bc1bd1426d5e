"""OAuth clients (MCP clients such as ChatGPT and Claude): look-up and how they are presented.

Three kinds (``OAuthClient.kind``): ``registered`` under Settings → App Connect (verified),
``dynamic`` through RFC 7591 ``/oauth/register`` and ``metadata`` (a client ID metadata
document, whose URL is the client id). The consent screen, the authorization endpoint and the
token endpoint all find a client through ``find_client``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.appconnect.models import OAuthClient

__all__ = ["ClientLabel", "client_label", "find_client", "redirect_uris_of"]


def find_client(session: Session, client_id: str) -> OAuthClient | None:
    """The live (not deleted) client with this client id, or ``None``."""
    return session.scalar(
        select(OAuthClient).where(
            OAuthClient.client_id == client_id, OAuthClient.deleted_at.is_(None)
        )
    )


def redirect_uris_of(client: OAuthClient) -> list[str]:
    uris = json.loads(client.redirect_uris or "[]")
    return [u for u in uris if isinstance(u, str)]


@dataclass(frozen=True, slots=True)
class ClientLabel:
    """What the consent screen and the settings pages show of a client."""

    name: str
    domain: str
    logo_uri: str | None
    verified: bool
    kind: str


def client_label(client: OAuthClient) -> ClientLabel:
    """Name, the domain people can check it against, logo, and whether NewLedger vouches for it.

    The domain is the metadata document's host for a metadata client, else the host of its
    ``client_uri`` or of its first redirect URI.
    """
    source = client.client_id if client.kind == "metadata" else client.client_uri
    if not source:
        uris = redirect_uris_of(client)
        source = uris[0] if uris else ""
    domain = urlsplit(source).hostname or ""
    return ClientLabel(
        client.name, domain, client.logo_uri, client.kind == "registered", client.kind
    )
