"""OAuth clients (MCP clients such as ChatGPT and Claude): registration, look-up, clean-up and
how they are presented.

Three kinds (``OAuthClient.kind``): ``registered`` under Settings → App Connect (verified,
``register_by_admin``), ``dynamic`` through RFC 7591 ``/oauth/register`` (``register_dynamic``)
and ``metadata`` (a client ID metadata document, whose URL is the client id,
``metadata_documents.py``). The consent screen, the authorization endpoint and the token
endpoint all find a client through ``find_client`` (or ``resolve_client``, which says why not).

Every function flushes but never commits: the caller's unit of work holds the client and its
activity row together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.client_metadata import ClientMetadata, parse_client_metadata
from newledger.appconnect.metadata_documents import (
    MetadataDocumentRefused,
    is_metadata_client_id,
    load_metadata_client,
)
from newledger.appconnect.models import OAuthClient, OAuthConnection
from newledger.appconnect.scopes import scope_string
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.config import get_settings
from newledger.db import utcnow
from newledger.errors import PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission

__all__ = [
    "ClientLabel",
    "UnknownClient",
    "client_label",
    "find_client",
    "purge_unconsented",
    "redirect_uris_of",
    "register_by_admin",
    "register_dynamic",
    "resolve_client",
]

log = logging.getLogger(__name__)
DYNAMIC_AUTH_METHODS = frozenset({"none", "client_secret_basic", "client_secret_post"})
_PURGE_BATCH = 200


class UnknownClient(LookupError):
    """No usable client has this client id; the message says why (for the error page)."""


def resolve_client(session: Session, client_id: str) -> OAuthClient:
    """The live client with this client id, fetching (or refreshing) a client ID metadata
    document for a URL-shaped one; raise ``UnknownClient``. A fetched document is stored in the
    caller's transaction, so the caller commits it."""
    if is_metadata_client_id(client_id):
        try:
            return load_metadata_client(session, client_id)
        except MetadataDocumentRefused as exc:
            # The URL is public (it is the client's id); its first 200 characters, never a body.
            log.warning("client metadata document refused (%s): %.200s", exc.reason, client_id)
            raise UnknownClient(str(exc)) from None
    client = session.scalar(
        select(OAuthClient).where(
            OAuthClient.client_id == client_id, OAuthClient.deleted_at.is_(None)
        )
    )
    if client is None:
        raise UnknownClient("No client has this client_id")
    return client


def find_client(session: Session, client_id: str) -> OAuthClient | None:
    """``resolve_client``, with ``None`` for an unknown client."""
    try:
        return resolve_client(session, client_id)
    except UnknownClient:
        return None


def redirect_uris_of(client: OAuthClient) -> list[str]:
    uris = json.loads(client.redirect_uris or "[]")
    return [u for u in uris if isinstance(u, str)]


# ------------------------------------------------------------------------------- registration


def _new_client(
    session: Session, meta: ClientMetadata, kind: str, company_id: int | None = None
) -> tuple[OAuthClient, str | None]:
    secret = None
    if meta.token_endpoint_auth_method != "none":  # noqa: S105 (a method name)
        secret = secrets.generate(secrets.CLIENT_SECRET_PREFIX)
    client = OAuthClient(
        client_id=secrets.generate_client_id(secrets.OAUTH_CLIENT_ID_PREFIX),
        kind=kind,
        company_id=company_id,
        name=meta.name,
        client_uri=meta.client_uri,
        logo_uri=meta.logo_uri,
        redirect_uris=json.dumps(list(meta.redirect_uris)),
        application_type=meta.application_type,
        token_endpoint_auth_method=meta.token_endpoint_auth_method,
        secret_digest=secrets.digest(secret) if secret else None,
        scope=scope_string(meta.scope),
        metadata_json=json.dumps(meta.as_json()),
    )
    session.add(client)
    session.flush()
    return client, secret


def register_dynamic(
    session: Session, document: object, origin: Actor
) -> tuple[OAuthClient, str | None, ClientMetadata]:
    """RFC 7591 §3: register a client from its metadata; return it, its secret (for a
    confidential client, shown in this response only) and the metadata as registered. Raise
    ``InvalidClientMetadata``. ``origin`` is who asked (an anonymous actor with the IP).

    RFC 7591 §2's default method is ``client_secret_basic``: a client that says nothing gets
    a secret. Each registration also removes a batch of clients that never reached consent."""
    meta = parse_client_metadata(
        document, auth_methods=DYNAMIC_AUTH_METHODS, default_auth_method="client_secret_basic"
    )
    purge_unconsented(session)
    client, secret = _new_client(session, meta, "dynamic")
    _record(session, Event.OAUTH_CLIENT_REGISTERED, origin, client)
    return client, secret, meta


def register_by_admin(
    session: Session,
    actor: Actor,
    *,
    name: str,
    redirect_uris: list[str],
    confidential: bool,
    logo_uri: str = "",
) -> tuple[OAuthClient, str | None]:
    """Settings → App Connect → Register OAuth App: a verified client of the actor's company.
    Raise ``PermissionDenied`` or ``InvalidClientMetadata`` (whose message names the field)."""
    if actor.is_external or actor.user_id is None:
        raise PermissionDenied("OAuth apps are registered by a person", code="user_required")
    actor.require(Permission.APPCONNECT_MANAGE)
    if actor.company_id is None:
        raise ValidationFailed("No company selected", errors={"company": "required"})
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("Enter a name of 1 to 200 characters", errors={"name": "invalid"})
    meta = parse_client_metadata(
        {
            "client_name": name,
            "redirect_uris": [u.strip() for u in redirect_uris if u.strip()],
            "logo_uri": logo_uri.strip(),
            "token_endpoint_auth_method": "client_secret_basic" if confidential else "none",
            "grant_types": ["authorization_code", "refresh_token"],
        },
        auth_methods=DYNAMIC_AUTH_METHODS,
        default_auth_method="none",
    )
    client, secret = _new_client(session, meta, "registered", actor.company_id)
    client.created_by_user_id = actor.user_id
    _record(session, Event.OAUTH_CLIENT_REGISTERED, actor, client)
    return client, secret


def _record(session: Session, event: Event, actor: Actor, client: OAuthClient) -> None:
    record(
        session,
        event,
        actor,
        company_id=client.company_id,
        subject_type="oauth_client",
        subject_id=client.id,
        details={
            "client_id": client.client_id,
            "name": client.name,
            "kind": client.kind,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "redirect_uris": redirect_uris_of(client),
        },
    )


def purge_unconsented(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete dynamic and metadata-document clients that never reached an approved consent
    within ``unconsented_client_ttl_hours``, a batch at a time; return how many went.

    Anyone may register, so registrations nobody ever used would otherwise pile up. Such a
    client has no connection, code or token (those only follow a consent), so deleting the
    row loses nothing; a metadata client is simply fetched again if it comes back."""
    hours = get_settings().unconsented_client_ttl_hours
    cutoff = (now or utcnow()) - dt.timedelta(hours=hours)
    stale = list(
        session.scalars(
            select(OAuthClient.id)
            .where(
                OAuthClient.kind.in_(("dynamic", "metadata")),
                OAuthClient.first_consented_at.is_(None),
                OAuthClient.created_at < cutoff,
                # Belt and braces: never a client that some connection still points to.
                ~exists().where(OAuthConnection.client_pk == OAuthClient.id),
            )
            .order_by(OAuthClient.id)
            .limit(_PURGE_BATCH)
        )
    )
    if stale:
        session.execute(delete(OAuthClient).where(OAuthClient.id.in_(stale)))
        record(
            session,
            Event.OAUTH_CLIENT_DELETED,
            Actor.system(None, label="clean-up"),
            details={"unconsented_clients": len(stale), "older_than_hours": hours},
        )
    return len(stale)


# ------------------------------------------------------------------------------- presentation


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
