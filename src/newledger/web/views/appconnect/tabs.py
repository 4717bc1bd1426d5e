"""Settings → App Connect: the three tabs (API Credentials, OAuth Connections, MCP Server)."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.appconnect import apps, connections
from newledger.appconnect.grants import GrantStatus
from newledger.config import get_settings
from newledger.identity.permissions import CATALOGUE, Permission
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.appconnect.shared import mcp_setup, settings_page

router = web_router()

TABS = (
    ("api-credentials", "API Credentials"),
    ("oauth-connections", "OAuth Connections"),
    ("mcp-server", "MCP Server"),
)
MEMBER_TABS = frozenset({"oauth-connections", "mcp-server"})


_member = require_permission()  # any member of the company: for their own OAuth connections


@router.get("/settings/appconnect")
def appconnect_page(
    request: Request,
    tab: str = "api-credentials",
    show: str = "",
    ctx: WebContext = Depends(_member),
) -> Response:
    """Managing apps needs ``appconnect:manage``. The OAuth Connections and MCP Server tabs are
    open to every member, who sees the connections they consented to (owners and admins see
    all); a member without it lands on OAuth Connections."""
    assert ctx.company is not None
    can_manage = ctx.actor.can(Permission.APPCONNECT_MANAGE)
    tabs = TABS if can_manage else tuple(t for t in TABS if t[0] in MEMBER_TABS)
    if tab not in dict(tabs):
        tab = tabs[0][0]
    views = apps.list_apps(ctx.db, ctx.actor) if tab == "api-credentials" else []
    oauth = connections.list_connections(ctx.db, ctx.actor) if tab == "oauth-connections" else []
    deleted = sum(1 for v in views if v.status is GrantStatus.DELETED)
    if show != "deleted":
        views = [v for v in views if v.status is not GrantStatus.DELETED]
    return settings_page(
        request,
        "settings/appconnect.html",
        ctx,
        tabs=tabs,
        tab=tab,
        apps=views,
        connections=oauth,
        idle_days=get_settings().refresh_token_idle_days,
        deleted_count=deleted,
        show_deleted=show == "deleted",
        catalogue=CATALOGUE,
        mcp=mcp_setup(ctx.company),
        can_manage=can_manage,
    )
