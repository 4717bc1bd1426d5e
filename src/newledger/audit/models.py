"""The activity table: append-only, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = ["Activity"]


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_company_time", "company_id", "created_at"),
        Index("ix_activity_company_event", "company_id", "event"),
        Index("ux_activity_coalesce_key", "coalesce_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(80))
    # user | app | connection | system
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_app_id: Mapped[int | None] = mapped_column()
    actor_connection_id: Mapped[int | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    # How the action came in: web | api | mcp | cli | demo | system (``actor.activity_source``).
    source: Mapped[str] = mapped_column(String(16), default="", server_default="")
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A coalesced row (``audit/coalesce.py``) stands for this many occurrences of the same event
    # from the same client for the same reason within one minute; every other row is one.
    occurrences: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    coalesce_key: Mapped[str | None] = mapped_column(String(64))
