"""Bits shared by the App Connect and Integrations settings pages: endpoint URLs, page frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from newledger.appconnect import audience
from newledger.config import get_settings
from newledger.identity.models import Company
from newledger.web.deps import WebContext
from newledger.web.nav import SETTINGS_NAV, nav_for
from newledger.web.templating import render

__all__ = [
    "REGISTER_OAUTH_APP_PATH",
    "McpSetup",
    "api_url",
    "mcp_setup",
    "mcp_url",
    "settings_page",
    "token_url",
    "well_known_url",
]

# Settings → App Connect → Register OAuth App (the clients part builds the page).
REGISTER_OAUTH_APP_PATH = "/settings/appconnect/oauth-apps/new"


def mcp_url(company: Company) -> str:
    """The company MCP URL: what a user pastes into an MCP client, and the token's resource."""
    return audience.company_mcp_url(company.slug)


def token_url() -> str:
    return f"{get_settings().issuer}/oauth/token"


def api_url() -> str:
    return audience.rest_api_url()


def well_known_url(url: str, name: str) -> str:
    """``url``'s well-known ``name`` document, by path insertion: the well-known segment goes
    between the host and the URL's path (RFC 8414 §3.1, RFC 9728 §3.1), so
    ``https://h/mcp/acme`` → ``https://h/.well-known/oauth-protected-resource/mcp/acme``."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{name}{path}", "", ""))


@dataclass(frozen=True)
class McpSetup:
    """What the MCP set-up pages show: the URL to paste, and where a client discovers the rest."""

    company_name: str
    company_url: str
    """The company MCP URL: the connection is to this company, fixed on the consent screen."""
    generic_url: str
    """The generic MCP URL: the person picks one of their companies on the consent screen."""
    resource_metadata_url: str
    """RFC 9728 protected-resource metadata of ``company_url``."""
    authorization_server_metadata_url: str
    """RFC 8414 authorization server metadata of the issuer."""
    register_oauth_app_path: str = REGISTER_OAUTH_APP_PATH


def mcp_setup(company: Company) -> McpSetup:
    company_url = mcp_url(company)
    return McpSetup(
        company_name=company.name,
        company_url=company_url,
        generic_url=audience.generic_mcp_url(),
        resource_metadata_url=well_known_url(company_url, "oauth-protected-resource"),
        authorization_server_metadata_url=well_known_url(
            get_settings().issuer, "oauth-authorization-server"
        ),
    )


def settings_page(
    request: Request, template: str, ctx: WebContext, *, status: int = 200, **values: Any
) -> HTMLResponse:
    return render(
        request,
        template,
        ctx,
        status=status,
        settings_nav=nav_for(ctx.permissions, SETTINGS_NAV),
        **values,
    )
