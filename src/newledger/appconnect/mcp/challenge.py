"""HTTP refusals at the MCP endpoint: 401 with a ``WWW-Authenticate`` challenge, 403
``insufficient_scope`` naming every scope the call needs (RFC 6750 §3, RFC 9728 §5.1, MCP
2025-11-25 authorization), 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.responses import Response

from newledger.appconnect.oauth.cors import PUBLIC
from newledger.appconnect.oauth.metadata import resource_metadata_url
from newledger.appconnect.scopes import DEFAULT_SCOPES, scope_string
from newledger.identity.permissions import Permission

__all__ = ["forbidden", "rate_limited", "unauthorized"]


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _challenge(slug: str | None, scopes: Iterable[str], error: str | None, detail: str) -> str:
    parts = []
    if error:
        parts.append(f'error="{error}"')
    parts.append(f'resource_metadata="{resource_metadata_url(slug)}"')
    parts.append(f'scope="{" ".join(scopes)}"')
    if error:
        parts.append(f'error_description="{_quoted(detail)}"')
    return "Bearer " + ", ".join(parts)


def _json(status: int, body: dict[str, str], headers: dict[str, str]) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        # CORS: a browser client must be able to read the challenge to start discovery.
        headers={"Cache-Control": "no-store", **PUBLIC, **headers},
    )


def unauthorized(slug: str | None, detail: str, *, token_given: bool) -> Response:
    """401: no token (no ``error``, RFC 6750 §3.1) or a refused one (``invalid_token``)."""
    error = "invalid_token" if token_given else None
    header = _challenge(slug, scope_string(DEFAULT_SCOPES).split(), error, detail)
    body = {"error": error or "unauthorized", "error_description": detail}
    return _json(401, body, {"WWW-Authenticate": header})


def forbidden(slug: str | None, tool: str, needed: Iterable[Permission]) -> Response:
    scopes = [p.value for p in needed]
    detail = f"The {tool} tool needs {' '.join(scopes)}; request a token with these scopes."
    header = _challenge(slug, scopes, "insufficient_scope", detail)
    body = {"error": "insufficient_scope", "error_description": detail, "scope": " ".join(scopes)}
    return _json(403, body, {"WWW-Authenticate": header})


def rate_limited(detail: str, headers: dict[str, str]) -> Response:
    return _json(429, {"error": "rate_limited", "error_description": detail}, headers)
