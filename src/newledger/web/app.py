"""The ASGI application: one Starlette/FastAPI app serving UI, OAuth, REST and MCP."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from newledger import __version__
from newledger.appconnect.api.app import mount_api
from newledger.appconnect.mcp import McpRoutes
from newledger.appconnect.oauth import metadata as oauth_metadata
from newledger.appconnect.oauth import register as oauth_register
from newledger.appconnect.oauth.routes import OAuthEndpoints
from newledger.events.worker import serve_lifespan
from newledger.web.guard import RequestGuard
from newledger.web.setup import install as install_workspace
from newledger.web.views.ledger import router as ledger_pages


def create_app() -> ASGIApp:
    """The whole application. ``/oauth/token`` and ``/oauth/revoke`` are answered in front of
    FastAPI itself (see ``appconnect/oauth/routes.py``), ``/mcp`` and ``/mcp/{slug}`` too
    (``appconnect/mcp/endpoint.py``); every other request goes to FastAPI.
    Outside both sits ``RequestGuard`` (``web/guard.py``): what every request gets."""
    app = FastAPI(
        title="NewLedger",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=serve_lifespan,  # the webhook worker thread, unless turned off
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    # Discovery and dynamic registration: public, JSON, CORS.
    for public in (oauth_metadata.router, oauth_register.router):
        app.include_router(public)
    app.include_router(ledger_pages)  # before the workspace's placeholder home at /
    install_workspace(app)
    mount_api(app)
    return RequestGuard(OAuthEndpoints(McpRoutes(app)))


def create_served_app() -> ASGIApp:
    """``create_app`` for ``newledger serve``'s worker processes. What start-up built (modules,
    routes, metadata: about 160,000 objects) lives as long as the process, so it is moved out
    of the cyclic garbage collector's generations (``gc.freeze``, as the Python docs suggest
    for long-lived servers): collections triggered by requests then no longer walk it. Measured
    at a few per cent of the token endpoint's CPU per request."""
    app = create_app()
    gc.freeze()
    return app
