"""Settings → App Connect → an app → Webhooks: its endpoints, the one-time signing secret, the
delivery log and "resend", over ``events.endpoints`` (every rule lives there).

Adding an endpoint or rotating its secret hands out a signing secret, and deleting one stops an
integration, so all three need TOTP step-up, as the app's own lifecycle actions do. Resending
re-queues a message the receiver was already meant to get, so it needs ``appconnect:manage``
only.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.models import App
from newledger.errors import ValidationFailed
from newledger.events import endpoints
from newledger.events.catalogue import DESCRIPTIONS, EventType
from newledger.events.endpoints import DeliveryLog
from newledger.events.models import WebhookEndpoint
from newledger.identity.permissions import Permission
from newledger.web.deps import (
    WebContext,
    require_permission,
    require_permission_and_step_up,
    web_router,
)
from newledger.web.errors import PageError
from newledger.web.views.appconnect.shared import settings_page

__all__ = ["WebhookSection", "router", "webhook_section"]

router = web_router()
_manage = require_permission(Permission.APPCONNECT_MANAGE)
_manage_with_2fa = require_permission(Permission.APPCONNECT_MANAGE, two_factor=True)
BASE = "/settings/appconnect/apps"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class WebhookSection:
    """What the app's detail page shows under Webhooks."""

    endpoints: list[WebhookEndpoint]
    offered: list[tuple[EventType, str]]  # the event types this app may take, described
    log: list[DeliveryLog]


def webhook_section(session: Session, actor: Actor, app: App) -> WebhookSection:
    return WebhookSection(
        endpoints.list_endpoints(session, actor, app.client_id),
        [(t, DESCRIPTIONS[t]) for t in endpoints.offered_event_types(app)],
        endpoints.delivery_log(session, actor, app.client_id),
    )


def _back(client_id: str, done: str) -> Response:
    return RedirectResponse(f"{BASE}/{client_id}?done={done}#webhooks", status_code=303)


@router.post(f"{BASE}/{{client_id}}/webhooks")
async def add_endpoint(
    request: Request,
    client_id: str,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage_with_2fa, "webhook.create", "Add this endpoint")
    ),
) -> Response:
    form = await request.form()
    try:
        endpoint, secret = endpoints.create_endpoint(
            ctx.db,
            ctx.actor,
            client_id,
            url=str(form.get("url") or ""),
            event_types=[str(v) for v in form.getlist("event_types")],
        )
    except ValidationFailed as exc:  # refused before anything was written; nothing commits
        raise PageError(422, "Check the webhook endpoint", exc.message) from None
    ctx.db.commit()
    return settings_page(
        request,
        "settings/appconnect_webhook_secret.html",
        ctx,
        endpoint=endpoint,
        secret=secret,
        detail_url=f"{BASE}/{client_id}#webhooks",
        headers=NO_STORE,
    )


@router.post(f"{BASE}/{{client_id}}/webhooks/{{endpoint_id}}/rotate")
def rotate_secret(
    request: Request,
    client_id: str,
    endpoint_id: int,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage, "webhook.rotate", "Rotate the signing secret")
    ),
) -> Response:
    try:
        endpoint, secret = endpoints.rotate_secret(ctx.db, ctx.actor, client_id, endpoint_id)
    except ValidationFailed as exc:
        raise PageError(422, "The secret was not rotated", exc.message) from None
    ctx.db.commit()
    return settings_page(
        request,
        "settings/appconnect_webhook_secret.html",
        ctx,
        endpoint=endpoint,
        secret=secret,
        rotated=True,
        detail_url=f"{BASE}/{client_id}#webhooks",
        headers=NO_STORE,
    )


@router.post(f"{BASE}/{{client_id}}/webhooks/{{endpoint_id}}/delete")
def delete_endpoint(
    client_id: str,
    endpoint_id: int,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage, "webhook.delete", "Delete this endpoint")
    ),
) -> Response:
    endpoints.delete_endpoint(ctx.db, ctx.actor, client_id, endpoint_id)
    ctx.db.commit()
    return _back(client_id, "webhook-deleted")


@router.post(f"{BASE}/{{client_id}}/webhooks/deliveries/{{delivery_id}}/resend")
def resend(client_id: str, delivery_id: int, ctx: WebContext = Depends(_manage)) -> Response:
    endpoints.resend_delivery(ctx.db, ctx.actor, client_id, delivery_id)
    ctx.db.commit()
    return _back(client_id, "webhook-resent")
