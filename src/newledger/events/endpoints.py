"""Webhook endpoints of an API credential app, their delivery log, and "resend".

Managing them is a person's job with ``appconnect:manage`` (``apps.get_app`` checks it), and
creating, deleting or rotating one's secret is recorded in the activity log: the URL and the
event types, never the signing secret, which exists in clear only in the return value of
``create_endpoint`` and ``rotate_secret``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import apps
from newledger.appconnect.grants import delegated_permissions
from newledger.appconnect.models import App
from newledger.appconnect.outbound import OutboundRefused, check_url, is_public_address
from newledger.audit.tags import Event
from newledger.config import get_settings
from newledger.db import utcnow
from newledger.errors import NotFound, ValidationFailed
from newledger.events import signing
from newledger.events.catalogue import READ_PERMISSION, EventType, resource_of
from newledger.events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "DeliveryLog",
    "create_endpoint",
    "delete_endpoint",
    "delivery_log",
    "list_endpoints",
    "offered_event_types",
    "resend_delivery",
    "rotate_secret",
]

MAX_ENDPOINTS_PER_APP = 10


def offered_event_types(app: App) -> list[EventType]:
    """The event types an app may take: those of the resources it was delegated to read."""
    delegated = delegated_permissions(app.permissions)
    return [t for t in EventType if READ_PERMISSION[resource_of(t)] in delegated]


def _check_url(url: str) -> str:
    url = url.strip()
    if len(url) > 2048:
        raise ValidationFailed("The URL is too long", errors={"url": "too long"})
    try:
        check_url(url)
    except OutboundRefused as exc:
        raise ValidationFailed(str(exc), errors={"url": exc.reason}) from None
    host = (urlsplit(url).hostname or "").strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: every address it resolves to is checked on every delivery
    loopback_ok = get_settings().outbound_allow_loopback and ip.is_loopback
    if not (is_public_address(ip) or loopback_ok):
        raise ValidationFailed(
            "NewLedger never sends to private or special addresses", errors={"url": "forbidden"}
        )
    return url


def _event_types(app: App, chosen: list[str]) -> list[str]:
    offered = {t.value for t in offered_event_types(app)}
    unknown = sorted(set(chosen) - offered)
    if unknown:
        raise ValidationFailed(
            "Not an event type this app may receive: " + ", ".join(unknown),
            errors={"event_types": "not offered: " + " ".join(unknown)},
        )
    if not chosen:
        raise ValidationFailed("Choose at least one event", errors={"event_types": "required"})
    return [t.value for t in EventType if t.value in chosen]


def create_endpoint(
    session: Session, actor: Actor, client_id: str, *, url: str, event_types: list[str]
) -> tuple[WebhookEndpoint, str]:
    """Add an HTTPS endpoint to an app; return it with its signing secret (shown once)."""
    app = apps.get_app(session, actor, client_id)
    if app.deleted_at is not None:
        raise ValidationFailed("The app is deleted", errors={"app": "deleted"})
    url = _check_url(url)
    types = _event_types(app, event_types)
    count = len(list_endpoints(session, actor, client_id))
    if count >= MAX_ENDPOINTS_PER_APP:
        raise ValidationFailed(
            f"An app has at most {MAX_ENDPOINTS_PER_APP} endpoints", errors={"url": "too many"}
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        company_id=app.company_id,
        app_id=app.id,
        url=url,
        event_types=" ".join(types),
        sealed_secret=signing.seal(secret),
        created_by_user_id=actor.user_id,
    )
    session.add(endpoint)
    session.flush()
    _record(session, Event.WEBHOOK_ENDPOINT_CREATED, actor, app, endpoint, event_types=types)
    return endpoint, secret


def _record(
    session: Session,
    event: Event,
    actor: Actor,
    app: App,
    endpoint: WebhookEndpoint,
    **more: object,
) -> None:
    apps.record_app_event(
        session, event, actor, app, endpoint_id=endpoint.id, url=endpoint.url, **more
    )


def list_endpoints(session: Session, actor: Actor, client_id: str) -> list[WebhookEndpoint]:
    app = apps.get_app(session, actor, client_id)
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.company_id == app.company_id, WebhookEndpoint.app_id == app.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def _endpoint(session: Session, app: App, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.app_id == app.id,
            WebhookEndpoint.company_id == app.company_id,
        )
    )
    if endpoint is None:
        raise NotFound("No such webhook endpoint for this app", code="unknown_endpoint")
    return endpoint


def rotate_secret(
    session: Session, actor: Actor, client_id: str, endpoint_id: int
) -> tuple[WebhookEndpoint, str]:
    """Give an endpoint a new signing secret (returned, shown once). The one it replaces keeps
    signing beside it for ``webhook_secret_overlap_hours``, so the receiver can switch at its
    own pace; a rotation within the overlap drops the older secret at once."""
    app = apps.get_app(session, actor, client_id)
    if app.deleted_at is not None:
        raise ValidationFailed("The app is deleted", errors={"app": "deleted"})
    endpoint = _endpoint(session, app, endpoint_id)
    secret = signing.new_secret()
    overlap = dt.timedelta(hours=get_settings().webhook_secret_overlap_hours)
    endpoint.previous_sealed_secret = endpoint.sealed_secret
    endpoint.previous_secret_expires_at = utcnow() + overlap
    endpoint.sealed_secret = signing.seal(secret)
    session.flush()
    _record(
        session, Event.WEBHOOK_ENDPOINT_SECRET_ROTATED, actor, app, endpoint,
        previous_valid_until=endpoint.previous_secret_expires_at.isoformat(),
    )  # fmt: skip
    return endpoint, secret


def delete_endpoint(session: Session, actor: Actor, client_id: str, endpoint_id: int) -> None:
    """Delete an endpoint; its pending deliveries and its log go with it."""
    app = apps.get_app(session, actor, client_id)
    endpoint = _endpoint(session, app, endpoint_id)
    _record(session, Event.WEBHOOK_ENDPOINT_DELETED, actor, app, endpoint)
    session.delete(endpoint)
    session.flush()


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def delivery_log(
    session: Session, actor: Actor, client_id: str, *, limit: int = 50
) -> list[DeliveryLog]:
    """The app's latest deliveries, newest first, each with its attempts."""
    app = apps.get_app(session, actor, client_id)
    deliveries = list(
        session.scalars(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookEndpoint.app_id == app.id, WebhookDelivery.company_id == app.company_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(attempts))
            .order_by(WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryLog(d, attempts[d.id]) for d in deliveries]


def resend_delivery(
    session: Session, actor: Actor, client_id: str, delivery_id: int
) -> WebhookDelivery:
    """Queue the same message again (same ``webhook-id`` and body, so a receiver that already
    has it can tell) as a new delivery, due now."""
    app = apps.get_app(session, actor, client_id)
    original = session.scalar(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookEndpoint.app_id == app.id,
            WebhookDelivery.company_id == app.company_id,
        )
    )
    if original is None:
        raise NotFound("No such delivery for this app", code="unknown_delivery")
    again = WebhookDelivery(
        company_id=original.company_id,
        endpoint_id=original.endpoint_id,
        message_id=original.message_id,
        event_type=original.event_type,
        payload=original.payload,
        next_attempt_at=utcnow(),
    )
    session.add(again)
    session.flush()
    endpoint = _endpoint(session, app, original.endpoint_id)
    _record(
        session, Event.WEBHOOK_DELIVERY_RESENT, actor, app, endpoint,
        message_id=original.message_id, delivery_id=again.id,
    )  # fmt: skip
    return again
