"""Settings → App Connect → API Credentials: create an app, its detail page, and the lifecycle
actions (rotate, revoke, delete, restore) over ``appconnect.apps``.

The client secret exists in clear only in the response to the create or rotate POST: it is
rendered straight onto that page (``Cache-Control: no-store``), never redirected through a URL,
never stored in the session or the database. Reloading re-posts the form, which makes a new app
(create) or needs a fresh authenticator code (rotate): the old secret is never shown again.

Create, rotate, revoke and delete need TOTP step-up (DESIGN §8). Restore does too: it turns
access back on for a client whose secret may be the very reason it was revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from secrets import token_urlsafe

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import app_views, apps
from newledger.appconnect.models import App
from newledger.errors import DomainError, PermissionDenied, ValidationFailed
from newledger.identity.permissions import CATALOGUE, Permission
from newledger.web.deps import (
    WebContext,
    require_permission,
    require_permission_and_step_up,
    web_router,
)
from newledger.web.errors import PageError
from newledger.web.views.appconnect.shared import (
    REGISTER_OAUTH_APP_PATH,
    api_url,
    settings_page,
    token_url,
)
from newledger.web.views.appconnect.webhooks import webhook_section

router = web_router()
_manage = require_permission(Permission.APPCONNECT_MANAGE)
# Creating an app hands out a secret: a sensitive action, so a user without 2FA enrols first.
_manage_with_2fa = require_permission(Permission.APPCONNECT_MANAGE, two_factor=True)

BASE = "/settings/appconnect/apps"
GRACE_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "No time: it stops now"),
    (3600, "1 hour"),
    (24 * 3600, "24 hours"),
    (7 * 24 * 3600, "7 days"),
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _describe_app(request: Request, ctx: WebContext, form: dict[str, str]) -> list[tuple[str, str]]:
    """The app a lifecycle action confirms, and for a rotation the grace period chosen."""
    client_id = str(request.path_params.get("client_id", ""))
    try:
        app = apps.get_app(ctx.db, ctx.actor, client_id)
    except DomainError:
        return []  # the action itself answers (404, 403) once confirmed
    facts = [("App", app.name), ("Client ID", app.client_id)]
    if "grace_seconds" in form:
        grace = dict((str(s), label) for s, label in GRACE_CHOICES).get(form["grace_seconds"])
        facts.append(("Old secret keeps working for", grace or "—"))
    return facts


def _describe_new_app(
    request: Request, ctx: WebContext, form: dict[str, str]
) -> list[tuple[str, str]]:
    return [("App", form.get("name") or "—")]


def _manage_step_up(action: str, label: str) -> Callable[..., Awaitable[WebContext]]:
    describe = _describe_new_app if action == "app.create" else _describe_app
    return require_permission_and_step_up(_manage, action, label, describe)


# ---------------------------------------------------------------------------------------- create


def _create_form(
    request: Request,
    ctx: WebContext,
    *,
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return settings_page(
        request,
        "settings/appconnect_create.html",
        ctx,
        status=status,
        offered=app_views.delegable_for(ctx.actor),
        form=form or {},
        chosen=set(chosen or []),
        errors=errors or {},
        error=error,
        today=dt.datetime.now(dt.UTC).date().isoformat(),
        # Names this one submission, so a re-posted form cannot create a second app.
        request_id=(form or {}).get("request_id") or token_urlsafe(16),
    )


@router.get(f"{BASE}/new")
def create_page(request: Request, ctx: WebContext = Depends(_manage_with_2fa)) -> Response:
    """First the kind of app (API credentials or an OAuth app), then the API credentials form."""
    if request.query_params.get("type") == "api-credentials":
        return _create_form(request, ctx)
    return settings_page(
        request,
        "settings/appconnect_new.html",
        ctx,
        register_oauth_app_path=REGISTER_OAUTH_APP_PATH,
    )


def _parse_expiry(value: str) -> dt.datetime | None:
    """A date from the form: the app works through the end of that day (UTC)."""
    value = value.strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(
            "Enter the expiry as a date (YYYY-MM-DD)", errors={"expires_at": "invalid"}
        ) from exc
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


_FIELD_MESSAGES = {
    "name": "Enter a name of 1 to 200 characters.",
    "permissions": "Choose at least one permission this app may use.",
    "description": "Keep the description to 500 characters.",
}


@router.post(f"{BASE}/new")
async def create_submit(
    request: Request,
    ctx: WebContext = Depends(_manage_step_up("app.create", "Create this app")),
) -> Response:
    submitted = await request.form()
    name = str(submitted.get("name") or "")
    description = str(submitted.get("description") or "")
    expires = str(submitted.get("expires_at") or "")
    chosen = [str(v) for v in submitted.getlist("permissions")]
    request_id = str(submitted.get("request_id") or "")[:64] or None
    form = {
        "name": name,
        "description": description,
        "expires_at": expires,
        "request_id": request_id or "",
    }
    try:
        app, secret = apps.create_app(
            ctx.db,
            ctx.actor,
            name=name,
            permissions=chosen,
            expires_at=_parse_expiry(expires),
            request_id=request_id,
            description=description,
        )
    except apps.AlreadyCreated as exc:
        ctx.db.rollback()
        return _done(exc.client_id, "already-created")
    except ValidationFailed as exc:
        ctx.db.rollback()
        errors = {k: _FIELD_MESSAGES.get(k, exc.message) for k in exc.errors} or {
            "form": exc.message
        }
        if "permissions" in exc.errors and exc.errors["permissions"] != "required":
            errors["permissions"] = exc.message
        return _create_form(
            request, ctx, form=form, chosen=chosen, errors=errors, error=exc.message, status=422
        )
    except PermissionDenied as exc:  # a tampered form: offer only what may be delegated
        ctx.db.rollback()
        return _create_form(
            request,
            ctx,
            form=form,
            chosen=[],
            errors={"permissions": exc.message},
            error=exc.message,
            status=403,
        )
    ctx.db.commit()
    return _secret_page(request, ctx, app, secret, rotated=False)


def _secret_page(
    request: Request, ctx: WebContext, app: App, secret: str, *, rotated: bool, grace: int = 0
) -> Response:
    return settings_page(
        request,
        "settings/appconnect_secret.html",
        ctx,
        app=app,
        secret=secret,
        rotated=rotated,
        grace_label=dict(GRACE_CHOICES).get(grace, "") if grace else "",
        token_url=token_url(),
        api_url=api_url(),
        detail_url=f"{BASE}/{app.client_id}",
        headers=NO_STORE,
    )


# ---------------------------------------------------------------------------------------- detail


@router.get(f"{BASE}/by-id/{{app_id}}")
def detail_by_id(app_id: int, ctx: WebContext = Depends(_manage)) -> Response:
    """Where a draft's "Came from" links: drafts know their app's id, the page its client id."""
    app = apps.get_app_by_id(ctx.db, ctx.actor, app_id)
    return RedirectResponse(f"{BASE}/{app.client_id}", status_code=303)


@router.get(f"{BASE}/{{client_id}}")
def detail_page(request: Request, client_id: str, ctx: WebContext = Depends(_manage)) -> Response:
    view = app_views.get_app_view(ctx.db, ctx.actor, client_id)
    return settings_page(
        request,
        "settings/appconnect_app.html",
        ctx,
        view=view,
        app=view.app,
        lost=app_views.lost_permissions(view),
        catalogue=CATALOGUE,
        activity=app_views.app_activity(ctx.db, view.app),
        webhooks=webhook_section(ctx.db, ctx.actor, view.app),
        grace_choices=GRACE_CHOICES,
        token_url=token_url(),
        done=request.query_params.get("done", ""),
        now=dt.datetime.now(dt.UTC),
    )


def _done(client_id: str, what: str) -> Response:
    return RedirectResponse(f"{BASE}/{client_id}?done={what}", status_code=303)


def _lifecycle(
    ctx: WebContext, client_id: str, change: Callable[[Session, Actor, str], App], done: str
) -> Response:
    """Apply one lifecycle change (revoke, delete, restore), commit it and show the app's page."""
    change(ctx.db, ctx.actor, client_id)
    ctx.db.commit()
    return _done(client_id, done)


# ------------------------------------------------------------------------------------ lifecycle


@router.post(f"{BASE}/{{client_id}}/rotate")
async def rotate(
    request: Request,
    client_id: str,
    ctx: WebContext = Depends(_manage_step_up("app.rotate", "Rotate this app's client secret")),
) -> Response:
    raw = str((await request.form()).get("grace_seconds") or "0")
    if raw not in {str(seconds) for seconds, _ in GRACE_CHOICES}:
        raise PageError(422, "Check your input", "Choose one of the offered grace periods.")
    grace = int(raw)
    app, secret = apps.rotate_secret(ctx.db, ctx.actor, client_id, grace_seconds=grace)
    ctx.db.commit()
    return _secret_page(request, ctx, app, secret, rotated=True, grace=grace)


@router.post(f"{BASE}/{{client_id}}/revoke")
def revoke(
    client_id: str,
    ctx: WebContext = Depends(_manage_step_up("app.revoke", "Revoke this app's access")),
) -> Response:
    return _lifecycle(ctx, client_id, apps.revoke_app, "revoked")


@router.post(f"{BASE}/{{client_id}}/delete")
def delete(
    client_id: str,
    ctx: WebContext = Depends(_manage_step_up("app.delete", "Delete this app")),
) -> Response:
    return _lifecycle(ctx, client_id, apps.delete_app, "deleted")


@router.post(f"{BASE}/{{client_id}}/restore")
def restore(
    client_id: str,
    ctx: WebContext = Depends(_manage_step_up("app.restore", "Restore this app's access")),
) -> Response:
    app = apps.restore_app(ctx.db, ctx.actor, client_id)
    ctx.db.commit()
    return _done(client_id, "restored-revoked" if app.revoked_at is not None else "restored")
