"""Settings → App Connect → OAuth Connections: one connection's detail page and its Delete.

The list is a tab of the App Connect page (``tabs.py``). Everyone in a company sees and may
delete the connections they consented to; owners and admins see and may delete all of the
company's (``appconnect.connections`` decides). Delete needs a fresh TOTP code (DESIGN §8), as
revoking an app does; it ends the connection's tokens at once and leaves its drafts for review.
"""

from __future__ import annotations

import json

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from newledger.appconnect import connections
from newledger.appconnect.clients import redirect_uris_of
from newledger.errors import DomainError
from newledger.identity.permissions import CATALOGUE
from newledger.web.deps import WebContext, require_step_up, require_user, web_router
from newledger.web.views.appconnect.shared import settings_page

router = web_router()

BASE = "/settings/appconnect/connections"


@router.get(f"{BASE}/{{connection_id}}")
def detail_page(
    request: Request, connection_id: int, ctx: WebContext = Depends(require_user)
) -> Response:
    view = connections.get_connection_view(ctx.db, ctx.actor, connection_id)
    try:
        metadata = json.dumps(json.loads(view.client.metadata_json or "{}"), indent=2)
    except ValueError:
        metadata = ""
    return settings_page(
        request,
        "settings/appconnect_connection.html",
        ctx,
        view=view,
        connection=view.connection,
        redirect_uris=redirect_uris_of(view.client),
        metadata=metadata if metadata != "{}" else "",
        catalogue=CATALOGUE,
        activity=connections.connection_activity(ctx.db, view.connection),
        done=request.query_params.get("done", ""),
    )


def _describe(request: Request, ctx: WebContext, form: dict[str, str]) -> list[tuple[str, str]]:
    """The connection a delete confirms: its client's name and who connected it."""
    try:
        view = connections.get_connection_view(
            ctx.db, ctx.actor, int(request.path_params["connection_id"])
        )
    except (DomainError, ValueError):
        return []  # the delete itself answers (404, 403) once confirmed
    return [("Connection", view.client.name), ("Connected by", view.user_email)]


@router.post(f"{BASE}/{{connection_id}}/delete")
def delete(
    connection_id: int,
    ctx: WebContext = Depends(
        require_step_up("connection.delete", "Delete this OAuth connection", _describe)
    ),
) -> Response:
    connections.delete_connection(ctx.db, ctx.actor, connection_id)
    ctx.db.commit()
    return RedirectResponse(f"{BASE}/{connection_id}?done=deleted", status_code=303)
