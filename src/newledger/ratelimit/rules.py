"""The named rate limits, their quotas from the settings, and which of them are security controls.

Every rule is a fixed window aligned to the clock: ``[floor(now / W) * W, + W)``. One algorithm for
every rule and every storage means a counter moved from memory to Redis (or from the database to
Redis) keeps its meaning, and ``RateLimit-Reset`` is simply the time left in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from newledger.config import Settings

__all__ = ["IP_FACTOR", "SECURITY_RULES", "Quota", "Rule", "quotas"]

# Per-IP sign-in and TOTP limits allow several people behind one address (an office NAT).
IP_FACTOR = 5


class Rule(StrEnum):
    """A rate limit by name. The value prefixes the counter's storage key."""

    SIGNIN_PER_ACCOUNT = "login:account"
    SIGNIN_PER_IP = "login:ip"
    TOTP_PER_USER = "totp:user"
    TOTP_PER_IP = "totp:ip"
    # Wrong "current password" guesses on the account page (a borrowed session must not guess).
    PASSWORD_PER_USER = "password:account"
    TOKEN_PER_CLIENT = "token:client"
    TOKEN_PER_IP = "token:ip"
    API_PER_GRANT = "api:grant"
    # MCP calls per app or connection: the REST API's quota, counted apart from REST.
    MCP_PER_GRANT = "mcp:grant"
    # RFC 7591 dynamic client registration: an unauthenticated write, so counted per IP.
    REGISTER_PER_IP = "register:ip"


# The limits that protect passwords and second factors. Without Redis they are counted in the
# database (``rate_limit_counters``), never in a worker's memory: with N workers or instances a
# per-worker count would let an attacker try N times the limit, and these are the limits that
# stand between a guesser and an account. They cost a database write per attempt, which sign-in
# pays anyway (its activity row) and which is small beside the password hash. Token and API
# limits guard against floods and runaway scripts; a write per request would cost more than the
# request itself, so they stay in memory unless Redis is configured.
SECURITY_RULES = frozenset(
    {
        Rule.SIGNIN_PER_ACCOUNT,
        Rule.SIGNIN_PER_IP,
        Rule.TOTP_PER_USER,
        Rule.TOTP_PER_IP,
        Rule.PASSWORD_PER_USER,
    }
)


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    window_seconds: int


def quotas(settings: Settings) -> dict[Rule, Quota]:
    """Each rule's quota from ``NEWLEDGER_*_RATE_*`` settings."""
    login_window = max(1, settings.login_rate_window_seconds)
    per_account = Quota(settings.login_rate_limit, login_window)
    per_ip = Quota(settings.login_rate_limit * IP_FACTOR, login_window)
    token_window = max(1, settings.token_rate_window_seconds)
    return {
        Rule.SIGNIN_PER_ACCOUNT: per_account,
        Rule.SIGNIN_PER_IP: per_ip,
        Rule.TOTP_PER_USER: per_account,
        Rule.TOTP_PER_IP: per_ip,
        Rule.PASSWORD_PER_USER: per_account,
        Rule.TOKEN_PER_CLIENT: Quota(settings.token_rate_limit_per_client, token_window),
        Rule.TOKEN_PER_IP: Quota(settings.token_rate_limit_per_ip, token_window),
        Rule.API_PER_GRANT: Quota(settings.api_rate_limit_per_minute, 60),
        Rule.MCP_PER_GRANT: Quota(settings.api_rate_limit_per_minute, 60),
        Rule.REGISTER_PER_IP: Quota(settings.registration_rate_limit_per_hour, 3600),
    }
