"""Settings → App Connect → Register OAuth App: a verified OAuth client for a custom MCP or
development client, over ``appconnect.clients.register_by_admin``.

As with an API credential app, a confidential client's secret exists in clear only in the
response to the POST (``Cache-Control: no-store``), never in a URL, the session or the
database; the form needs a fresh authenticator code (step-up), so reloading the result cannot
register a second client without one.
"""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.appconnect.client_metadata import InvalidClientMetadata
from newledger.appconnect.clients import redirect_uris_of, register_by_admin
from newledger.appconnect.scopes import DEFAULT_SCOPES, scope_string
from newledger.config import get_settings
from newledger.errors import ValidationFailed
from newledger.identity.permissions import Permission
from newledger.web.deps import (
    WebContext,
    require_permission,
    require_permission_and_step_up,
    web_router,
)
from newledger.web.views.appconnect.shared import mcp_url, settings_page

router = web_router()
PATH = "/settings/appconnect/oauth-apps/new"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_manage_with_2fa = require_permission(Permission.APPCONNECT_MANAGE, two_factor=True)
_register_step_up = require_permission_and_step_up(
    require_permission(Permission.APPCONNECT_MANAGE),
    "oauth_app.register",
    "Register this OAuth app",
)


def _form(
    request: Request,
    ctx: WebContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    errors = errors or {}
    return settings_page(
        request,
        "settings/appconnect_oauth_app_new.html",
        ctx,
        status=status,
        form=form or {"client_type": "public"},
        errors=errors,
        error=next(iter(errors.values()), None),
    )


@router.get(PATH)
def register_page(request: Request, ctx: WebContext = Depends(_manage_with_2fa)) -> Response:
    return _form(request, ctx)


def _field_of(message: str, error: str) -> str:
    if error == "invalid_redirect_uri":
        return "redirect_uris"
    return "logo_uri" if "logo_uri" in message else "form"


@router.post(PATH)
async def register_submit(
    request: Request, ctx: WebContext = Depends(_register_step_up)
) -> Response:
    assert ctx.company is not None
    submitted = await request.form()
    form = {
        key: str(submitted.get(key) or "")
        for key in ("name", "logo_uri", "redirect_uris", "client_type")
    }
    try:
        client, secret = register_by_admin(
            ctx.db,
            ctx.actor,
            name=form["name"],
            logo_uri=form["logo_uri"],
            redirect_uris=form["redirect_uris"].splitlines(),
            confidential=form["client_type"] == "confidential",
        )
    except ValidationFailed as exc:
        ctx.db.rollback()
        field = next(iter(exc.errors), "form")
        return _form(request, ctx, form=form, errors={field: exc.message}, status=422)
    except InvalidClientMetadata as exc:
        ctx.db.rollback()
        field = _field_of(exc.description, exc.error)
        return _form(request, ctx, form=form, errors={field: exc.description}, status=422)
    ctx.db.commit()
    issuer = get_settings().issuer
    return settings_page(
        request,
        "settings/appconnect_oauth_app_secret.html",
        ctx,
        client=client,
        secret=secret,
        redirect_uris=redirect_uris_of(client),
        mcp_url=mcp_url(ctx.company),
        authorize_url=f"{issuer}/oauth/authorize",
        token_url=f"{issuer}/oauth/token",
        metadata_url=f"{issuer}/.well-known/oauth-authorization-server",
        default_scope=scope_string(DEFAULT_SCOPES),
        headers=NO_STORE,
    )
