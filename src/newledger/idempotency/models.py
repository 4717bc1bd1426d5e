"""Stored results of creates made with an idempotency key (REST ``Idempotency-Key``, MCP tools).

The table keeps its REST-era name ``api_idempotency_keys``; renaming it would need a migration
for no change in meaning."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = ["IN_FLIGHT", "IdempotencyKey"]

# ``status`` of a key whose first request has not finished (its transaction is still open).
IN_FLIGHT = 0


class IdempotencyKey(Base):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("company_id", "actor_key", "key"),
        Index("ix_api_idempotency_keys_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # ``actor_key``: "app:<id>" or "connection:<id>", so keys of different apps never collide.
    actor_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the operation (REST: method and path) and the canonical JSON payload.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer, default=IN_FLIGHT)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
