"""Fixed-window counts in Redis, shared by every worker and instance, with a way out when it fails.

Counting goes through ``limits``' ``RedisStorage.incr``: one atomic ``INCRBY`` + ``EXPIRE`` Lua
script, which is exactly the fixed-window strategy of ``limits``. The strategy's own ``hit``
returns only a boolean and would need two more round trips for ``RateLimit-Remaining`` and
``RateLimit-Reset``, so the limiter calls the storage and puts the window's start in the key:
the count comes back in the one round trip, and the reset follows from the clock.

When Redis does not answer, ``add`` returns ``None`` and the limiter counts locally instead. The
first failure logs one warning; after that no request touches Redis until a background probe
(every ``retry_seconds``) gets an answer again, so an outage never costs a request a timeout,
let alone a refusal. The calls are synchronous and run on the event loop, like the token
endpoint's one SELECT: a round trip to a nearby Redis is a fraction of a millisecond, and the
socket timeouts bound the worst case.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

import redis
from limits.storage import RedisStorage
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["RETRY_SECONDS", "RedisCounts"]

log = logging.getLogger("newledger.ratelimit")

RETRY_SECONDS = 15.0
_TIMEOUT_SECONDS = 0.5


def describe(url: str) -> str:
    """``host:port/db`` of a Redis URL, without its credentials (safe to log)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or '/0'}"


class RedisCounts:
    def __init__(self, url: str, *, key_prefix: str, retry_seconds: float = RETRY_SECONDS) -> None:
        # redis-py retries with exponential backoff by default; a limiter must fail fast instead.
        pool = redis.ConnectionPool.from_url(
            url,
            socket_timeout=_TIMEOUT_SECONDS,
            socket_connect_timeout=_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self._storage = RedisStorage(url, connection_pool=pool, key_prefix=key_prefix)
        self.where = describe(url)
        self.retry_seconds = retry_seconds
        self.available = True
        self._lock = threading.Lock()
        self._probing = False
        self._next_probe = 0.0

    def add(self, key: str, window_start: int, window_seconds: int) -> int | None:
        """The count after this attempt, or ``None`` when Redis cannot be used now."""
        if not self.available:
            self._maybe_probe()
            return None
        try:
            return self._storage.incr(f"{key}:{window_start}", window_seconds)
        except redis.RedisError as exc:
            self._lost(exc)
            return None

    def take_back(self, key: str, window_start: int, window_seconds: int) -> bool:
        """Give one attempt back; ``False`` when Redis cannot be used now."""
        if not self.available:
            return False
        windowed = f"{key}:{window_start}"
        try:
            # Never below zero (the window may have expired in between); two concurrent
            # take-backs may both pass the check, which gives back one attempt too many.
            if self._storage.get(windowed) > 0:
                self._storage.incr(windowed, window_seconds, amount=-1)
        except redis.RedisError as exc:
            self._lost(exc)
            return False
        return True

    def _lost(self, exc: Exception) -> None:
        with self._lock:
            if not self.available:
                return
            self.available = False
            self._next_probe = time.monotonic() + self.retry_seconds
        log.warning(
            "Rate limits: Redis at %s is unreachable (%s); counting in this worker's memory, "
            "sign-in and TOTP in the database, and retrying every %g s",
            self.where,
            type(exc).__name__,
            self.retry_seconds,
        )

    def _maybe_probe(self) -> None:
        if time.monotonic() < self._next_probe:
            return
        with self._lock:
            if self._probing or time.monotonic() < self._next_probe:
                return
            self._probing = True
            self._next_probe = time.monotonic() + self.retry_seconds
        threading.Thread(target=self._probe, name="ratelimit-redis-probe", daemon=True).start()

    def _probe(self) -> None:
        try:
            if self._storage.check():  # PING; False (never an exception) when it fails
                self.available = True
                log.info("Rate limits: Redis at %s answers again; counters are shared", self.where)
        finally:
            self._probing = False
