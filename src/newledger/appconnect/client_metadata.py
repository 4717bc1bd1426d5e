"""OAuth client metadata (RFC 7591 §2): what a client says about itself, checked once for every
way it arrives (a dynamic registration, a client ID metadata document, the Register OAuth App
form), so the three kinds of client obey the same rules.

- ``redirect_uris``: 1 to 10, each by ``redirect_uris.validate`` (exact, https or loopback).
- ``application_type`` (OpenID Connect Registration §2, MCP SEP-837): ``web`` clients redirect
  to https on a real host, never loopback; ``native`` clients may use loopback. Omitted, it is
  inferred from the redirect URIs (all loopback: native), so a client that predates the
  parameter still registers.
- ``token_endpoint_auth_method``: one of the methods the caller allows.
- ``grant_types`` and ``response_types``: the authorization code flow only.
- ``scope``: names outside the catalogue are dropped, not fatal (RFC 7591 §2).
- ``client_name``, ``client_uri``, ``logo_uri``: shown on the consent screen; the URIs https.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from newledger.appconnect import redirect_uris
from newledger.appconnect.scopes import known_scopes, scope_string
from newledger.identity.permissions import Permission

__all__ = ["ClientMetadata", "InvalidClientMetadata", "parse_client_metadata", "web_uri"]

MAX_REDIRECT_URIS = 10
_GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_NAME = 200


class InvalidClientMetadata(ValueError):
    """RFC 7591 §3.2.2: ``error`` is ``invalid_redirect_uri`` or ``invalid_client_metadata``;
    the message says what to fix."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _bad(description: str) -> InvalidClientMetadata:
    return InvalidClientMetadata("invalid_client_metadata", description)


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    name: str
    redirect_uris: tuple[str, ...]
    application_type: str  # web | native
    token_endpoint_auth_method: str  # none | client_secret_basic | client_secret_post
    grant_types: tuple[str, ...]
    scope: frozenset[Permission]
    client_uri: str | None = None
    logo_uri: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The metadata as registered (RFC 7591 §3.2.1 echoes it), without empty fields."""
        out: dict[str, Any] = {
            "client_name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "application_type": self.application_type,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "grant_types": list(self.grant_types),
            "response_types": ["code"],
        }
        if self.scope:
            out["scope"] = scope_string(self.scope)
        if self.client_uri:
            out["client_uri"] = self.client_uri
        if self.logo_uri:
            out["logo_uri"] = self.logo_uri
        return out


def web_uri(value: object, field: str) -> str | None:
    """An optional https URL shown to people (``client_uri``, ``logo_uri``)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 2048 or _CONTROL.search(value) or " " in value:
        raise _bad(f"{field} must be an https URL")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise _bad(f"{field} must be an https URL") from None
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise _bad(f"{field} must be an https URL with a host and no user information")
    return value


def _strings(doc: dict[str, Any], field: str, default: list[str]) -> list[str]:
    value = doc.get(field)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{field} must be an array of strings")
    return value


def _redirect_uris(doc: dict[str, Any]) -> tuple[str, ...]:
    uris = doc.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise InvalidClientMetadata(
            "invalid_redirect_uri", "redirect_uris must be a non-empty array of URLs"
        )
    if len(uris) > MAX_REDIRECT_URIS:
        raise InvalidClientMetadata(
            "invalid_redirect_uri", f"At most {MAX_REDIRECT_URIS} redirect URIs"
        )
    for uri in uris:
        try:
            redirect_uris.validate(uri)
        except redirect_uris.InvalidRedirectUri as exc:
            raise InvalidClientMetadata("invalid_redirect_uri", str(exc)) from None
    return tuple(dict.fromkeys(uris))


def _application_type(value: object, uris: tuple[str, ...]) -> str:
    if value is None:
        return "native" if all(redirect_uris.is_loopback(u) for u in uris) else "web"
    if value == "native":
        return "native"
    if value != "web":
        raise _bad("application_type must be web or native")
    for uri in uris:
        if urlsplit(uri).hostname in redirect_uris.LOOPBACK_HOSTS:
            raise InvalidClientMetadata(
                "invalid_redirect_uri",
                f"{uri!r} is a loopback address; a web client redirects to https on its own "
                "host (register a native client for loopback)",
            )
    return "web"


def _name(value: object, uris: tuple[str, ...], client_uri: str | None) -> str:
    if value is not None and not isinstance(value, str):
        raise _bad("client_name must be a string")
    name = " ".join(_CONTROL.sub(" ", value or "").split())[:_MAX_NAME]
    return name or urlsplit(client_uri or uris[0]).hostname or "Unnamed client"


def parse_client_metadata(
    doc: object, *, auth_methods: Collection[str], default_auth_method: str
) -> ClientMetadata:
    """Check ``doc`` (a parsed JSON body); raise ``InvalidClientMetadata`` saying what is wrong.
    Fields this server does not use are ignored (RFC 7591 §2: "MUST ignore")."""
    if not isinstance(doc, dict):
        raise _bad("The client metadata must be a JSON object")
    uris = _redirect_uris(doc)
    method = doc.get("token_endpoint_auth_method") or default_auth_method
    if method not in auth_methods:
        raise _bad("token_endpoint_auth_method must be one of: " + ", ".join(sorted(auth_methods)))
    grants = _strings(doc, "grant_types", ["authorization_code"])
    if "authorization_code" not in grants or not set(grants) <= _GRANT_TYPES:
        raise _bad("grant_types may only be authorization_code and refresh_token")
    responses = _strings(doc, "response_types", ["code"])
    if set(responses) != {"code"}:
        raise _bad("response_types must be code")
    scope = doc.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise _bad("scope must be a space-separated string")
    client_uri = web_uri(doc.get("client_uri"), "client_uri")
    return ClientMetadata(
        name=_name(doc.get("client_name"), uris, client_uri),
        redirect_uris=uris,
        application_type=_application_type(doc.get("application_type"), uris),
        token_endpoint_auth_method=str(method),
        grant_types=tuple(dict.fromkeys(grants)),
        scope=known_scopes(scope),
        client_uri=client_uri,
        logo_uri=web_uri(doc.get("logo_uri"), "logo_uri"),
    )
