"""Per-app request rate limit for REST API v1 (``429`` + ``Retry-After`` + ``RateLimit-*``).

The window is kept in process memory, per worker. That is a deliberate trade: a shared counter
(the ``rate_limit_counters`` table, or Redis) costs a write per request, which alone would take
most of the API's request budget (DESIGN §9 asks for ≥ 1,000 authenticated req/s). The cost is
that with N workers or instances an app can reach up to N times the configured limit; the limit is a
guard against runaway scripts, not a billing meter, so that is acceptable. The login, TOTP and
token endpoints, where the limit *is* a security control, use the shared counters.

Headers follow draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until the window resets).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

__all__ = ["FixedWindowLimiter", "RateDecision"]


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class FixedWindowLimiter:
    """Fixed windows aligned to the clock; one small dict entry per active app."""

    def __init__(self, limit: int, window_seconds: int = 60) -> None:
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> RateDecision:
        now = time.time() if now is None else now
        window_start = int(now // self.window) * self.window
        reset = max(1, math.ceil(window_start + self.window - now))
        with self._lock:
            start, count = self._counts.get(key, (window_start, 0))
            if start != window_start:
                count = 0
                if len(self._counts) > 10_000:
                    self._evict(window_start)
            if count >= self.limit:
                return RateDecision(False, self.limit, 0, reset)
            count += 1
            self._counts[key] = (window_start, count)
        return RateDecision(True, self.limit, self.limit - count, reset)

    def _evict(self, current: int) -> None:
        for k in [k for k, (s, _) in self._counts.items() if s != current]:
            del self._counts[k]
