"""The OAuth endpoints as a thin ASGI layer in front of the web app (one line in web/app.py).

``/oauth/token`` is the hottest endpoint NewLedger has (DESIGN §9 asks for 1.5x oidc-provider's
tokens/s), and the FastAPI stack in front of an ordinary route (body-limit wrapper, exception
middleware, CSRF and security-header middleware, route matching over every UI and API route)
cost about as much CPU as the endpoint itself. None of it applies here: the endpoint reads no
cookies (so CSRF has nothing to protect), answers JSON that browsers never render, and sets its
own ``Cache-Control: no-store``. So these two paths are answered before that stack; everything
else passes straight through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from newledger.appconnect.oauth.cors import PUBLIC, preflight
from newledger.appconnect.oauth.errors import json_response
from newledger.appconnect.oauth.revoke import revoke_endpoint
from newledger.appconnect.oauth.token import token_endpoint

__all__ = ["ENDPOINTS", "OAuthEndpoints"]

Endpoint = Callable[[Scope, Receive], Awaitable[Response]]
ENDPOINTS: dict[str, Endpoint] = {
    "/oauth/token": token_endpoint,
    "/oauth/revoke": revoke_endpoint,
}


class OAuthEndpoints:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = ENDPOINTS.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            # A browser client's preflight (MCP Inspector exchanges its code from the page).
            await preflight("POST, OPTIONS")(scope, receive, send)
            return
        if scope["method"] == "POST":
            response = await endpoint(scope, receive)
        else:
            response = json_response(
                {"error": "invalid_request", "error_description": "Use POST"},
                405,
                {"Allow": "POST, OPTIONS"},
            )
        if any(name == b"origin" for name, _ in scope["headers"]):
            # CORS for a request from a page: these endpoints read no cookies, so any origin
            # may read the answer (``cors.py``). Requests without an Origin get no such headers.
            response.headers.update(PUBLIC)
        await response(scope, receive, send)
