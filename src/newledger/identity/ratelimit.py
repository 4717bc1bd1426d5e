"""Fixed-window rate limits kept in ``rate_limit_counters``, so every instance shares them.

A window is ``[floor(now / W) * W, +W)``. Each attempt increments its window's row with one
atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike), so
concurrent attempts on several instances can never slip past the limit together.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newledger.config import get_settings
from newledger.identity.models import RateLimitCounter

__all__ = ["Limit", "Window", "consume", "login_limits", "peek", "release"]

# Per-IP limits allow several people behind one address (an office NAT) to share it.
IP_LIMIT_FACTOR = 5
_PRUNE_AFTER_SECONDS = 86400


@dataclass(frozen=True)
class Limit:
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def just_exceeded(self) -> bool:
        """The first refused attempt of the window (log the lockout once, not per attempt)."""
        return self.count == self.limit + 1


def login_limits() -> tuple[Limit, Limit]:
    """(per account, per IP) limits for sign-in and TOTP attempts."""
    s = get_settings()
    return (
        Limit(s.login_rate_limit, s.login_rate_window_seconds),
        Limit(s.login_rate_limit * IP_LIMIT_FACTOR, s.login_rate_window_seconds),
    )


def _start(now: float, window: int) -> int:
    return int(now) // window * window


def consume(session: Session, key: str, limit: Limit, *, now: float | None = None) -> Window:
    """Count one attempt against ``key`` and say whether the window's limit is now exceeded."""
    now = time.time() if now is None else now
    start = _start(now, limit.window_seconds)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(RateLimitCounter)
        .values(key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": RateLimitCounter.count + 1},
        )
        .returning(RateLimitCounter.count)
    )
    count = int(session.execute(stmt).scalar_one())
    if random.random() < 0.01:
        session.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.window_start < int(now) - _PRUNE_AFTER_SECONDS
            )
        )
    retry_after = max(1, start + limit.window_seconds - int(now))
    return Window(count, limit.limit, retry_after)


def release(session: Session, key: str, limit: Limit, *, now: float | None = None) -> None:
    """Give back one attempt (a successful one), so only failures use up the limit."""
    now = time.time() if now is None else now
    session.execute(
        update(RateLimitCounter)
        .where(
            RateLimitCounter.key == key,
            RateLimitCounter.window_start == _start(now, limit.window_seconds),
            RateLimitCounter.count > 0,
        )
        .values(count=RateLimitCounter.count - 1)
    )


def peek(session: Session, key: str, limit: Limit, *, now: float | None = None) -> int:
    now = time.time() if now is None else now
    count = session.scalar(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == key,
            RateLimitCounter.window_start == _start(now, limit.window_seconds),
        )
    )
    return int(count or 0)
