"""Settings → App Connect. A ready frame with its three tabs; the App Connect feature fills
``settings/appconnect.html`` (blocks ``api_credentials``, ``oauth_connections``, ``mcp_server``)
and may replace this module's view."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.config import get_settings
from newledger.identity.permissions import Permission
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.nav import SETTINGS_NAV, nav_for
from newledger.web.templating import render

router = web_router()

TABS = (
    ("api-credentials", "API Credentials"),
    ("oauth-connections", "OAuth Connections"),
    ("mcp-server", "MCP Server"),
)


@router.get("/settings/appconnect")
def appconnect_page(
    request: Request,
    tab: str = "api-credentials",
    ctx: WebContext = Depends(require_permission(Permission.APPCONNECT_MANAGE)),
) -> Response:
    assert ctx.company is not None
    if tab not in dict(TABS):
        tab = TABS[0][0]
    return render(
        request,
        "settings/appconnect.html",
        ctx,
        settings_nav=nav_for(ctx.permissions, SETTINGS_NAV),
        tabs=TABS,
        tab=tab,
        mcp_url=f"{get_settings().issuer}/mcp/{ctx.company.slug}",
    )
