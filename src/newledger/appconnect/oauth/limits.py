"""The OAuth endpoints' rate limits: per client id and per IP address (DESIGN §8)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from newledger.appconnect.oauth.errors import OAuthError
from newledger.appconnect.oauth.ratelimit import SlidingWindowLimiter
from newledger.config import get_settings

__all__ = ["check_limits"]


@dataclass(frozen=True)
class _Limits:
    per_client: SlidingWindowLimiter
    per_ip: SlidingWindowLimiter


@lru_cache(maxsize=1)
def _limits() -> _Limits:
    """Per-worker limiters from ``NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT``, ``…_PER_IP`` and
    ``NEWLEDGER_TOKEN_RATE_WINDOW_SECONDS`` (see ``oauth/ratelimit.py`` for the trade-off)."""
    s = get_settings()
    return _Limits(
        SlidingWindowLimiter(s.token_rate_limit_per_client, s.token_rate_window_seconds),
        SlidingWindowLimiter(s.token_rate_limit_per_ip, s.token_rate_window_seconds),
    )


def _too_many(retry_after: int, reason: str) -> OAuthError:
    return OAuthError(
        "temporarily_unavailable",
        "Too many token requests; retry later",
        status=429,
        reason=reason,
        headers={"Retry-After": str(retry_after)},
    )


def check_limits(ip: str | None, client_id: str) -> None:
    """Count one request against its IP address and its client id; raise 429 past either."""
    wait = _limits().per_ip.hit(ip or "-")
    if wait:
        raise _too_many(wait, "rate_limited_ip")
    wait = _limits().per_client.hit(client_id[:64])
    if wait:
        raise _too_many(wait, "rate_limited")
