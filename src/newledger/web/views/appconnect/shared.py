"""Bits shared by the App Connect and Integrations settings pages: endpoint URLs, page frame."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from newledger.config import get_settings
from newledger.identity.models import Company
from newledger.web.deps import WebContext
from newledger.web.nav import SETTINGS_NAV, nav_for
from newledger.web.templating import render

__all__ = ["api_url", "mcp_endpoint_exists", "mcp_url", "settings_page", "token_url"]


def mcp_url(company: Company) -> str:
    return f"{get_settings().issuer}/mcp/{company.slug}"


def token_url() -> str:
    return f"{get_settings().issuer}/oauth/token"


def api_url() -> str:
    return f"{get_settings().issuer}/api/v1"


def mcp_endpoint_exists(request: Request) -> bool:
    """Whether this server already serves ``/mcp/{company}`` (the MCP server is its own
    feature): the pages say "coming soon" instead of promising an endpoint that 404s."""
    for route in request.app.router.routes:
        path = getattr(route, "path", "")
        if isinstance(path, str) and path.startswith("/mcp"):
            return True
    return False


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
