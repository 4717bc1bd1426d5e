"""In-process sliding-window rate limiter for the token endpoint (DESIGN §8).

Why in-process and not the shared ``rate_limit_counters`` table: a shared counter costs a
database write (and on SQLite a global write lock) per token request, which is exactly what
makes a token endpoint slow (DESIGN §4: one write per token took the prototype from 2.4x to
1.0x of oidc-provider). The trade-off, stated plainly: each worker process counts on its own, so
with N workers or N instances behind a load balancer a client can get up to N x the configured
limit before being refused. The limit here guards against runaway scripts and floods; it is not
what keeps secrets safe (256-bit secrets cannot be guessed at any rate). A deployment that needs
an exact global limit should set ``NEWLEDGER_TOKEN_RATE_LIMIT_PER_*`` to limit / N, or put the
limit in the load balancer.

The estimate is the usual two-window approximation: ``prev * (1 - elapsed/window) + current``,
O(1) memory per key, no timestamps list.
"""

from __future__ import annotations

import math
import time

__all__ = ["SlidingWindowLimiter"]

_MAX_KEYS = 50_000


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = max(1, window_seconds)
        # key -> [window index, count in the previous window, count in the current window]
        self._buckets: dict[str, list[int]] = {}

    def hit(self, key: str, now: float | None = None) -> int:
        """Count one attempt; return 0 when allowed, else the seconds to wait (``Retry-After``).

        Refused attempts are not counted, so a client that backs off gets back in on time.
        """
        t = time.monotonic() if now is None else now
        index = int(t // self.window)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_KEYS:
                self._prune(index)
            bucket = self._buckets[key] = [index, 0, 0]
        elif bucket[0] != index:
            bucket[1] = bucket[2] if bucket[0] == index - 1 else 0
            bucket[2] = 0
            bucket[0] = index
        elapsed = t / self.window - index  # fraction of the current window gone
        estimate = bucket[1] * (1.0 - elapsed) + bucket[2]
        if estimate + 1 > self.limit:
            return self._retry_after(bucket, elapsed)
        bucket[2] += 1
        return 0

    def _retry_after(self, bucket: list[int], elapsed: float) -> int:
        # When the current window alone is full, wait for the next one (and the previous-window
        # weight decays from there); otherwise wait until enough of the previous window decays.
        if bucket[2] + 1 > self.limit or bucket[1] == 0:
            return max(1, math.ceil((1.0 - elapsed) * self.window))
        needed = (bucket[1] + bucket[2] + 1 - self.limit) / bucket[1]  # fraction to decay
        return max(1, math.ceil((needed - elapsed) * self.window))

    def _prune(self, index: int) -> None:
        """Drop keys idle for two windows, so random client ids cannot grow memory forever."""
        stale = [k for k, b in self._buckets.items() if b[0] < index - 1]
        for k in stale:
            del self._buckets[k]
        if len(self._buckets) >= _MAX_KEYS:
            self._buckets.clear()
