"""Settings → App Connect: the three tabs (API Credentials, OAuth Connections, MCP Server)."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.appconnect import apps
from newledger.appconnect.grants import GrantStatus
from newledger.identity.permissions import CATALOGUE, Permission
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.appconnect.shared import mcp_setup, settings_page

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
    show: str = "",
    ctx: WebContext = Depends(require_permission(Permission.APPCONNECT_MANAGE)),
) -> Response:
    assert ctx.company is not None
    if tab not in dict(TABS):
        tab = TABS[0][0]
    views = apps.list_apps(ctx.db, ctx.actor) if tab == "api-credentials" else []
    deleted = sum(1 for v in views if v.status is GrantStatus.DELETED)
    if show != "deleted":
        views = [v for v in views if v.status is not GrantStatus.DELETED]
    return settings_page(
        request,
        "settings/appconnect.html",
        ctx,
        tabs=TABS,
        tab=tab,
        apps=views,
        deleted_count=deleted,
        show_deleted=show == "deleted",
        catalogue=CATALOGUE,
        mcp=mcp_setup(ctx.company),
    )
