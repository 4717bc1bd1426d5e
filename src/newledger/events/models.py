"""Change feed and webhook outbox tables, written in the same transaction as the change.

- ``change_counters``: one row per company holding the last change number handed out (and
  the last one pruned). The row is updated (so locked) by every change, which makes the
  numbers of one company commit in order: a reader that sees number n has seen every number
  below it, so a cursor never skips a change that committed late. (A plain autoincrement id
  would: PostgreSQL hands out sequence values at insert time, not at commit.)
- ``change_events``: the feed, append-only, tombstones included; only pruning
  (``events.prune``) removes the oldest.
- ``webhook_endpoints``: an API credential app's HTTPS endpoints and the event types they take.
- ``webhook_deliveries``: the outbox; one row per (change, endpoint), claimed by workers with a
  lease and marked delivered only after a 2xx answer.
- ``webhook_attempts``: each attempt's response code, for the delivery log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = ["ChangeCounter", "ChangeEvent", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]


class ChangeCounter(Base):
    __tablename__ = "change_counters"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(default=0)
    # Every change up to this number has been pruned (``events.prune``): a cursor below it
    # cannot be continued, and the feed says so (410) instead of skipping what is gone.
    pruned_seq: Mapped[int] = mapped_column(default=0)


class ChangeEvent(Base):
    __tablename__ = "change_events"
    __table_args__ = (
        UniqueConstraint("company_id", "seq"),
        Index("ix_change_events_created", "created_at"),  # pruning finds the old ones
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # Per company, from ``change_counters``: the feed's cursor.
    seq: Mapped[int] = mapped_column()
    resource_type: Mapped[str] = mapped_column(String(32))  # invoice | expense | contact | payment
    resource_id: Mapped[int] = mapped_column()
    # ``invoice.voided``, ``contact.updated``… (``events.catalogue.EventType``)
    event_type: Mapped[str] = mapped_column(String(64))
    # The record's own external id at the time (contacts have one), so a sync client can
    # match it to its copy before it fetches the record.
    external_id: Mapped[str | None] = mapped_column(String(100))
    # Space-separated names of the fields an ``*.updated`` change changed (None: not said).
    changed_fields: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_company", "company_id", "app_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    app_id: Mapped[int] = mapped_column(ForeignKey("appconnect_apps.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    # Space-separated event types this endpoint takes.
    event_types: Mapped[str] = mapped_column(Text)
    # The signing secret sealed with AES-GCM (``events.secrets``): it must be read back to sign.
    sealed_secret: Mapped[str] = mapped_column(String(200))
    # After a rotation, the secret before it, still signing beside the new one until then, so a
    # receiver can switch to the new secret without refusing a delivery meanwhile.
    previous_sealed_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # ``webhook-id``: the same for every attempt and resend, so receivers can de-duplicate.
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    # The exact JSON body, fixed when the change committed.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The lease: a worker owns the row until then; a killed worker's rows come back after it.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    status_code: Mapped[int | None] = mapped_column()  # None: no answer (see ``error``)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
