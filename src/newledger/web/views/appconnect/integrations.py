"""Settings → Integrations: step-by-step set-up of each MCP client around the company MCP URL
(ChatGPT, Claude, and any other MCP client such as MCP Inspector)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.appconnect.shared import mcp_setup, settings_page

router = web_router()
# Open to every member: anyone may connect an assistant with the permissions they hold.
_member = require_permission()

# The clients' OAuth redirect URIs (DESIGN §5), shown so people can check what the client
# displays, or paste them when they register the client themselves under Register OAuth App.
CHATGPT_REDIRECT_URIS = ("https://chatgpt.com/connector_platform_oauth_redirect",)
CLAUDE_REDIRECT_URIS = (
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
)
INSPECTOR_REDIRECT_URIS = (
    "http://localhost:6274/oauth/callback",
    "http://127.0.0.1:6276/oauth/callback",
)


def _guide(request: Request, ctx: WebContext, template: str, **values: Any) -> Response:
    """A set-up page around the company's MCP URL."""
    assert ctx.company is not None
    return settings_page(request, template, ctx, mcp=mcp_setup(ctx.company), **values)


@router.get("/settings/integrations")
def integrations_page(request: Request, ctx: WebContext = Depends(_member)) -> Response:
    return _guide(request, ctx, "settings/integrations.html")


@router.get("/settings/integrations/chatgpt")
def chatgpt_page(request: Request, ctx: WebContext = Depends(_member)) -> Response:
    return _guide(
        request, ctx, "settings/integrations_chatgpt.html", redirect_uris=CHATGPT_REDIRECT_URIS
    )


@router.get("/settings/integrations/claude")
def claude_page(request: Request, ctx: WebContext = Depends(_member)) -> Response:
    return _guide(
        request, ctx, "settings/integrations_claude.html", redirect_uris=CLAUDE_REDIRECT_URIS
    )


@router.get("/settings/integrations/mcp")
def other_mcp_client_page(request: Request, ctx: WebContext = Depends(_member)) -> Response:
    return _guide(
        request, ctx, "settings/integrations_mcp.html", redirect_uris=INSPECTOR_REDIRECT_URIS
    )
