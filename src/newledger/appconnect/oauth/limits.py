"""The OAuth endpoints' rate limits: per IP address and per client id (DESIGN §8), from the
one limiter every protocol uses (``newledger.ratelimit``)."""

from __future__ import annotations

from newledger import ratelimit
from newledger.appconnect.oauth.errors import OAuthError
from newledger.ratelimit import Decision, Rule

__all__ = ["check_limits"]


def _too_many(decision: Decision, reason: str) -> OAuthError:
    return OAuthError(
        "temporarily_unavailable",
        "Too many token requests; retry later",
        status=429,
        reason=reason,
        headers={"Retry-After": str(decision.reset_seconds)},
    )


def check_limits(ip: str | None, client_id: str) -> None:
    """Count one request against its IP address and its client id; raise 429 past either."""
    decision = ratelimit.hit(Rule.TOKEN_PER_IP, ip or "-")
    if not decision.allowed:
        raise _too_many(decision, "rate_limited_ip")
    decision = ratelimit.hit(Rule.TOKEN_PER_CLIENT, client_id[:64])
    if not decision.allowed:
        raise _too_many(decision, "rate_limited")
