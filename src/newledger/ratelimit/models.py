"""The ``rate_limit_counters`` table: fixed-window counts of the security rules, without Redis."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base

__all__ = ["RateLimitCounter"]


class RateLimitCounter(Base):
    """One row per rule key and window; shared by every worker and instance on the database."""

    __tablename__ = "rate_limit_counters"

    # "<rule>:<key>", e.g. "login:account:<digest>" (see ``Rule``).
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
