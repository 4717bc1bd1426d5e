"""Fixed-window counts in ``rate_limit_counters``, in the caller's transaction.

Each attempt increments its window's row with one atomic upsert (``INSERT … ON CONFLICT DO
UPDATE … RETURNING``, on SQLite and PostgreSQL alike), so concurrent attempts on several
instances can never slip past the limit together. The count is written in the caller's session:
the sign-in adapters commit even when the attempt is refused, so a failure is counted together
with its activity row, and no second connection competes with the caller for SQLite's write lock.
"""

from __future__ import annotations

import random

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newledger.ratelimit.models import RateLimitCounter

__all__ = ["DatabaseCounts"]

_PRUNE_AFTER_SECONDS = 86400
_PRUNE_CHANCE = 0.01


class DatabaseCounts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: str, window_start: int) -> int:
        session = self.session
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = (
            insert(RateLimitCounter)
            .values(key=key, window_start=window_start, count=1)
            .on_conflict_do_update(
                index_elements=["key", "window_start"],
                set_={"count": RateLimitCounter.count + 1},
            )
            .returning(RateLimitCounter.count)
        )
        count = int(session.execute(stmt).scalar_one())
        if random.random() < _PRUNE_CHANCE:
            session.execute(
                delete(RateLimitCounter).where(
                    RateLimitCounter.window_start < window_start - _PRUNE_AFTER_SECONDS
                )
            )
        return count

    def take_back(self, key: str, window_start: int) -> None:
        self.session.execute(
            update(RateLimitCounter)
            .where(
                RateLimitCounter.key == key,
                RateLimitCounter.window_start == window_start,
                RateLimitCounter.count > 0,
            )
            .values(count=RateLimitCounter.count - 1)
        )
