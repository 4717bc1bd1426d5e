"""Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25
"Client Registration"): a client whose ``client_id`` is an https URL, and whose metadata is the
JSON document at that URL.

The document is fetched through the guarded fetcher (``outbound.py``: https only, checked
addresses, limits), validated (its ``client_id`` must be the URL exactly, simple string
comparison; the redirect URIs by the same rules as any client's; public clients only: no
secret, ``token_endpoint_auth_method`` ``none``), and cached as an ``OAuthClient`` row of kind
``metadata`` until the document's ``Cache-Control: max-age`` runs out (clamped to 1 minute to
1 day; 1 hour when the server says nothing). The draft's §4: a redirect is not followed and only
a 200 counts; its security considerations suggest 5 KB as the size limit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newledger.appconnect import outbound
from newledger.appconnect.client_metadata import InvalidClientMetadata, parse_client_metadata
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.scopes import scope_string
from newledger.config import get_settings
from newledger.db import utcnow

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MetadataDocumentRefused",
    "check_client_id_url",
    "is_metadata_client_id",
    "load_metadata_client",
]

MAX_DOCUMENT_BYTES = 5 * 1024
_DEFAULT_TTL = 3600
_MIN_TTL, _MAX_TTL = 60, 86400
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d{1,9})\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)
_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")


class MetadataDocumentRefused(Exception):
    """The URL or its document cannot identify a client. ``reason`` is a short word for logs
    and activity; ``str(exc)`` says why, for the error page."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_metadata_client_id(client_id: str) -> bool:
    """Whether a client id is URL-shaped (and so names a metadata document)."""
    if client_id.startswith("https://"):
        return True
    return get_settings().outbound_allow_loopback and client_id.startswith("http://")


def check_client_id_url(url: str) -> None:
    """The draft's §3: https, a host, a path other than ``/``, no fragment, no user
    information, no dot segments. (``http://`` to a loopback host only with the test-only
    ``outbound_allow_loopback``.)"""
    if len(url) > 2048 or _FORBIDDEN.search(url) or "#" in url:
        raise MetadataDocumentRefused("bad_client_id", "The client id is not a valid https URL")
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise MetadataDocumentRefused("bad_client_id", str(exc)) from None
    path = urlsplit(url).path
    if path in ("", "/") or _DOT_SEGMENT.search(path):
        raise MetadataDocumentRefused(
            "bad_client_id", "A client id URL needs a path, without '.' or '..' segments"
        )


def load_metadata_client(session: Session, url: str) -> OAuthClient:
    """The client for a URL-shaped client id: from the cache while fresh, else fetched,
    validated and stored (in the caller's transaction). Raise ``MetadataDocumentRefused``."""
    check_client_id_url(url)
    row = session.scalar(select(OAuthClient).where(OAuthClient.client_id == url))
    now = utcnow()
    if row is not None and row.deleted_at is not None:
        raise MetadataDocumentRefused("client_deleted", "This client was removed")
    if row is not None and row.metadata_expires_at and row.metadata_expires_at > now:
        return row
    document, ttl = _fetch_document(url)
    try:
        meta = parse_client_metadata(document, auth_methods={"none"}, default_auth_method="none")
    except InvalidClientMetadata as exc:
        raise MetadataDocumentRefused("invalid_metadata", exc.description) from None
    values = {
        "kind": "metadata",
        "name": meta.name,
        "client_uri": meta.client_uri,
        "logo_uri": meta.logo_uri,
        "redirect_uris": json.dumps(list(meta.redirect_uris)),
        "application_type": meta.application_type,
        "token_endpoint_auth_method": "none",
        "secret_digest": None,
        "scope": scope_string(meta.scope),
        "metadata_json": json.dumps(document),
        "metadata_expires_at": now + dt.timedelta(seconds=ttl),
    }
    if row is None:
        try:
            with session.begin_nested():  # another request may be storing the same document
                row = OAuthClient(client_id=url, **values)
                session.add(row)
        except IntegrityError:
            row = session.scalar(select(OAuthClient).where(OAuthClient.client_id == url))
            if row is None:
                raise
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return row


def _fetch_document(url: str) -> tuple[dict[str, object], int]:
    try:
        fetched = outbound.fetch(url, max_bytes=MAX_DOCUMENT_BYTES, max_redirects=0)
    except outbound.OutboundRefused as exc:
        raise MetadataDocumentRefused(exc.reason, f"The client's metadata: {exc}") from None
    if fetched.status != 200:
        raise MetadataDocumentRefused(
            "document_status", f"The client's metadata document answered HTTP {fetched.status}"
        )
    try:
        document = orjson.loads(fetched.body)
    except orjson.JSONDecodeError:
        raise MetadataDocumentRefused(
            "invalid_metadata", "The client's metadata document is not JSON"
        ) from None
    if not isinstance(document, dict):
        raise MetadataDocumentRefused("invalid_metadata", "The metadata is not a JSON object")
    # §4.1: the document names itself, compared as plain strings (no normalisation).
    if document.get("client_id") != url:
        raise MetadataDocumentRefused(
            "client_id_mismatch", "The document's client_id is not the URL it was fetched from"
        )
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise MetadataDocumentRefused(
            "invalid_metadata", "A metadata document may not carry a client secret"
        )
    return document, _ttl(fetched.headers.get("cache-control", ""))


def _ttl(cache_control: str) -> int:
    if _NO_CACHE.search(cache_control):
        return _MIN_TTL
    match = _MAX_AGE.search(cache_control)
    seconds = int(match.group(1)) if match else _DEFAULT_TTL
    return max(_MIN_TTL, min(_MAX_TTL, seconds))
