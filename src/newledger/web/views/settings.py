"""Settings: the landing page sends each user to the first area their role may manage."""

from __future__ import annotations

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.nav import SETTINGS_NAV, manages_for

router = web_router()


@router.get("/settings")
def settings_index(ctx: WebContext = Depends(require_permission())) -> Response:
    items = manages_for(ctx.permissions, SETTINGS_NAV)
    return RedirectResponse(items[0].path if items else "/account/security", status_code=303)
