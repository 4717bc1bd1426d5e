"""Discovery documents: RFC 8414 authorization server metadata and RFC 9728 protected resource
metadata, public (never behind auth) and CORS-enabled for browser MCP clients.

- ``/.well-known/oauth-authorization-server``: the issuer (``NEWLEDGER_PUBLIC_URL`` exactly, no
  trailing slash), its endpoints and what they support (DESIGN §5).
- ``/.well-known/oauth-protected-resource/mcp/{company}``: one per company MCP URL, at the
  path-inserted well-known URL (RFC 9728 §3.1); its ``resource`` is exactly the URL a user
  pastes, which is what MCP clients compare it with (RFC 9728 §3.3).
- ``/.well-known/oauth-protected-resource/mcp`` and the root form
  ``/.well-known/oauth-protected-resource``: the generic ``/mcp`` URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from newledger.appconnect import audience
from newledger.appconnect.oauth.cors import PUBLIC, preflight
from newledger.appconnect.scopes import SCOPES_SUPPORTED
from newledger.config import get_settings
from newledger.db import session_scope
from newledger.errors import NotFound
from newledger.identity.services import get_company_by_slug
from newledger.runtime import get_sessionmaker

__all__ = [
    "authorization_server_metadata",
    "protected_resource_metadata",
    "resource_metadata_url",
    "router",
]

router = APIRouter(include_in_schema=False)
_AS_PATH = "/.well-known/oauth-authorization-server"
_PRM_PATH = "/.well-known/oauth-protected-resource"
# Discovery documents change only with a deploy; a client may keep them a while.
_HEADERS = {**PUBLIC, "Cache-Control": "public, max-age=300"}


def authorization_server_metadata() -> dict[str, Any]:
    """RFC 8414 §2 (with RFC 9207 §3 and the client ID metadata document flag)."""
    issuer = get_settings().issuer
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "registration_endpoint": f"{issuer}/oauth/register",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
        "service_documentation": f"{issuer}/api/docs",
    }


def protected_resource_metadata(resource: str, name: str) -> dict[str, Any]:
    """RFC 9728 §2 for one MCP URL."""
    return {
        "resource": resource,
        "authorization_servers": [get_settings().issuer],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    }


def resource_metadata_url(slug: str | None) -> str:
    """Where the metadata of a company MCP URL (or, for ``None``, the generic one) lives."""
    issuer = get_settings().issuer
    return f"{issuer}{_PRM_PATH}/mcp" + (f"/{slug}" if slug is not None else "")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers=_HEADERS)


@router.get(_AS_PATH)
def authorization_server() -> Response:
    return _json(authorization_server_metadata())


@router.get(_PRM_PATH)
@router.get(f"{_PRM_PATH}/mcp")
def generic_resource() -> Response:
    return _json(protected_resource_metadata(audience.generic_mcp_url(), "NewLedger"))


def _company_name(slug: str) -> str | None:
    with session_scope(get_sessionmaker()) as session:
        try:
            return get_company_by_slug(session, slug).name
        except NotFound:
            return None


@router.get(f"{_PRM_PATH}/mcp/{{slug}}")
async def company_resource(slug: str) -> Response:
    name = await run_in_threadpool(_company_name, slug)
    if name is None:
        body = {"error": "not_found", "error_description": "No company has this MCP URL"}
        return _json(body, 404)
    return _json(protected_resource_metadata(audience.company_mcp_url(slug), f"NewLedger: {name}"))


@router.options(_AS_PATH)
@router.options(_PRM_PATH)
@router.options(f"{_PRM_PATH}/mcp")
@router.options(f"{_PRM_PATH}/mcp/{{slug}}")
def discovery_preflight() -> Response:
    return preflight("GET, OPTIONS")
