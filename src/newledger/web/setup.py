"""Wires the workspace into the app: security middleware, static files, error pages, views."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from newledger.web.error_pages import install_error_pages
from newledger.web.notfound import install_not_found_pages
from newledger.web.security import CSRFMiddleware, SecurityHeadersMiddleware
from newledger.web.views import (
    account,
    activity,
    appconnect,
    auth,
    company,
    home,
    invitations,
    item_settings,
    members,
    passkeys,
    tax_settings,
)
from newledger.web.views import settings as settings_views

__all__ = ["install"]

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    # Added last = outermost: the headers also cover CSRF refusals.
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)
    install_not_found_pages(app)
    for module in (
        auth,
        account,
        passkeys,
        company,
        tax_settings,
        item_settings,
        members,
        invitations,
        activity,
        settings_views,
        appconnect,
        home,
    ):
        app.include_router(module.router)
