"""Settings → Integrations: per-client setup guides (ChatGPT first) around the company MCP URL."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.appconnect.shared import mcp_endpoint_exists, mcp_url, settings_page

router = web_router()
_manage = require_permission(Permission.APPCONNECT_MANAGE)

# ChatGPT's connector redirect URI (DESIGN §5): shown so people can check what ChatGPT displays.
CHATGPT_REDIRECT_URI = "https://chatgpt.com/connector_platform_oauth_redirect"


@router.get("/settings/integrations")
def integrations_page(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    assert ctx.company is not None
    return settings_page(
        request,
        "settings/integrations.html",
        ctx,
        mcp_url=mcp_url(ctx.company),
        mcp_live=mcp_endpoint_exists(request),
    )


@router.get("/settings/integrations/chatgpt")
def chatgpt_page(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    assert ctx.company is not None
    return settings_page(
        request,
        "settings/integrations_chatgpt.html",
        ctx,
        mcp_url=mcp_url(ctx.company),
        mcp_live=mcp_endpoint_exists(request),
        redirect_uri=CHATGPT_REDIRECT_URI,
    )
