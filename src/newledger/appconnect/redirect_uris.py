"""Redirect URIs of OAuth clients: what may be registered, and when a presented one matches.

Rules (DESIGN §5, RFC 9700 §4.1, RFC 8252 §7.3):

- registered: ``https://`` with a host, or ``http://`` on a loopback host (``127.0.0.1``,
  ``[::1]``, ``localhost``) for native clients; no fragment, no userinfo, no wildcard, no
  dot-segments (plain or percent-encoded), no whitespace or control characters;
- matched: the exact string, character for character (no case folding, no trailing-slash or
  percent-encoding normalisation). The one exception is RFC 8252's: for a registered loopback
  URI the port may differ, because a native app listens on whatever port it got.

Hand-written: the rules are a handful of string checks, and no maintained library implements
this exact policy (authlib and oauthlib leave redirect URI policy to the server).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

__all__ = ["LOOPBACK_HOSTS", "InvalidRedirectUri", "is_loopback", "matches", "validate"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_MAX_LEN = 2048
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\*]")
_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)


class InvalidRedirectUri(ValueError):
    """A redirect URI that may not be registered; the message says why, for the client."""


def _split(uri: str) -> SplitResult:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        raise InvalidRedirectUri(f"{uri!r} is not a valid URL") from None
    return parts


def is_loopback(uri: str) -> bool:
    """An ``http://`` URI on a loopback host (a native client's redirect, RFC 8252)."""
    parts = _split(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def validate(uri: str) -> str:
    """Return ``uri`` unchanged if it may be registered; raise ``InvalidRedirectUri`` if not."""
    if not uri or len(uri) > _MAX_LEN:
        raise InvalidRedirectUri("A redirect URI must be 1 to 2048 characters")
    if _FORBIDDEN.search(uri):
        raise InvalidRedirectUri(f"{uri!r} contains spaces, wildcards or control characters")
    if "#" in uri:
        raise InvalidRedirectUri(f"{uri!r} has a fragment; redirect URIs may not")
    parts = _split(uri)
    if parts.scheme not in ("https", "http"):
        raise InvalidRedirectUri(f"{uri!r} must use https (or http on a loopback address)")
    if not parts.netloc or not parts.hostname:
        raise InvalidRedirectUri(f"{uri!r} has no host")
    if "@" in parts.netloc:
        raise InvalidRedirectUri(f"{uri!r} has user information; redirect URIs may not")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidRedirectUri(f"{uri!r} must use https unless its host is a loopback address")
    if _DOT_SEGMENT.search(parts.path):
        raise InvalidRedirectUri(f"{uri!r} has '.' or '..' path segments")
    return uri


def matches(registered: list[str], presented: str) -> bool:
    """Whether ``presented`` is one of the client's ``registered`` redirect URIs (exact match;
    any port for a registered loopback URI, RFC 8252 §7.3)."""
    if presented in registered:
        return True
    try:
        validate(presented)
        wanted = _split(presented)
    except InvalidRedirectUri:
        return False
    if wanted.scheme != "http" or wanted.hostname not in LOOPBACK_HOSTS:
        return False
    for uri in registered:
        if not is_loopback(uri):
            continue
        have = _split(uri)
        # The same host as written (127.0.0.1 is not localhost), path and query; any port.
        if (_host(have), have.path, have.query) == (_host(wanted), wanted.path, wanted.query):
            return True
    return False


def _host(parts: SplitResult) -> str:
    """The host exactly as written in the URI, without the port."""
    port = parts.port
    return parts.netloc if port is None else parts.netloc[: -len(f":{port}")]
