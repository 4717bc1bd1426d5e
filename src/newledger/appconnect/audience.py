"""The protected resources a token can be bound to (RFC 8707 ``resource``, the token's audience).

Each is an absolute URL under ``NEWLEDGER_PUBLIC_URL``: the REST API, the generic MCP URL and
one MCP URL per company. A token that names a resource is accepted only there; a token without
one (an API credential app that did not ask for a resource) is accepted by REST but not by MCP.
"""

from __future__ import annotations

from newledger.config import get_settings

__all__ = ["company_mcp_url", "generic_mcp_url", "resource_company_slug", "rest_api_url"]


def rest_api_url() -> str:
    return f"{get_settings().issuer}/api/v1"


def generic_mcp_url() -> str:
    return f"{get_settings().issuer}/mcp"


def company_mcp_url(slug: str) -> str:
    return f"{generic_mcp_url()}/{slug}"


def resource_company_slug(resource: str) -> str | None:
    """For a company MCP URL, the company's slug; ``None`` for any other string."""
    prefix = generic_mcp_url() + "/"
    if not resource.startswith(prefix):
        return None
    slug = resource[len(prefix) :]
    return slug if slug and "/" not in slug and "?" not in slug and "#" not in slug else None
