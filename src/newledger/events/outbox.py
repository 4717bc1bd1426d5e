"""The webhook outbox: claiming due deliveries and recording what each attempt got.

Rows are claimed in a short transaction that sets a lease (``claimed_until``) and commits; the
HTTP request runs outside any transaction; its outcome is written in another. So:

- On PostgreSQL any number of workers claim at once: ``FOR UPDATE SKIP LOCKED`` makes each
  skip the rows another is claiming, and the lease keeps them away afterwards. On SQLite
  ``begin_write`` makes claims one at a time, which is all SQLite does anyway.
- A row is marked delivered only after a 2xx answer. A worker killed mid-delivery leaves its
  rows leased; when the lease ends they are due again and another worker sends them. Delivery
  is at least once, and receivers de-duplicate on ``webhook-id``.
- A failed attempt is retried on a schedule like Svix's (base 5 s: 5 s, 5 min, 30 min, 2 h, 5 h,
  10 h, 10 h, so the last retry comes about 27 h after the first attempt); then the delivery is
  ``failed``, and a person can still resend it from the delivery log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from newledger.db import begin_write, utcnow
from newledger.events.catalogue import READ_PERMISSION, resource_of
from newledger.events.changes import app_permissions
from newledger.events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = ["RETRY_STEPS", "Claimed", "Outcome", "claim", "finish", "signing_secrets"]

# Multiples of the base delay between one attempt and the next.
RETRY_STEPS = (1, 60, 360, 1440, 3600, 7200, 7200)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message_id: str
    payload: str
    url: str
    sealed_secrets: tuple[str, ...]  # the endpoint's secret, and a rotated one still valid
    allowed: bool  # the app may still read this event's resource


def claim(session: Session, worker: str, limit: int, lease_seconds: float) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries to ``worker``; the caller commits."""
    begin_write(session)
    now = utcnow()
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(claimed_until=now + dt.timedelta(seconds=lease_seconds), claimed_by=worker)
    )
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.message_id,
            WebhookDelivery.payload,
            WebhookDelivery.event_type,
            WebhookEndpoint.url,
            WebhookEndpoint.sealed_secret,
            WebhookEndpoint.previous_sealed_secret,
            WebhookEndpoint.previous_secret_expires_at,
            WebhookEndpoint.app_id,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    ).all()
    # Checked again at sending: an app revoked or narrowed since the change gets nothing more.
    permissions = app_permissions(session, {row.app_id for row in rows})
    return [
        Claimed(
            row.id,
            row.message_id,
            row.payload,
            row.url,
            signing_secrets(row, now),
            READ_PERMISSION[resource_of(row.event_type)] in permissions.get(row.app_id, ()),
        )
        for row in rows
    ]


def signing_secrets(row: Any, now: dt.datetime) -> tuple[str, ...]:
    """An endpoint's sealed secrets that sign now: its own, and the one it replaced until
    that one's overlap ends."""
    expires = row.previous_secret_expires_at
    if row.previous_sealed_secret is None or expires is None or expires <= now:
        return (row.sealed_secret,)
    return (row.sealed_secret, row.previous_sealed_secret)


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    status_code: int | None  # None: no answer (``error`` says why)
    error: str | None = None
    give_up: bool = False  # no retry (the app may no longer read this)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def finish(
    session: Session, worker: str, outcomes: list[Outcome], *, retry_base_seconds: float
) -> None:
    """Record attempts: delivered on a 2xx, else due again later (``failed`` at the end of the
    schedule, or at once with ``give_up``). The caller commits."""
    if not outcomes:
        return
    begin_write(session)
    rows = {
        row.id: row
        for row in session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_([o.delivery_id for o in outcomes]))
            .order_by(WebhookDelivery.id)
            .with_for_update()
        )
    }
    now = utcnow()
    for outcome in outcomes:
        row = rows.get(outcome.delivery_id)
        if row is None:  # its endpoint was deleted meanwhile
            continue
        session.add(
            WebhookAttempt(delivery_id=row.id, status_code=outcome.status_code, error=outcome.error)
        )
        if row.status != "pending" or (not outcome.ok and row.claimed_by != worker):
            continue  # done already, or our lease ran out and another worker owns the row
        row.attempts += 1
        row.last_status_code = outcome.status_code
        row.claimed_until = None
        row.claimed_by = None
        if outcome.ok:
            row.status = "delivered"
            row.delivered_at = now
        elif outcome.give_up or row.attempts > len(RETRY_STEPS):
            row.status = "failed"
        else:
            delay = retry_base_seconds * RETRY_STEPS[row.attempts - 1]
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
