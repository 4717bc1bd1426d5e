"""Rate limits for every protocol: sign-in, TOTP, the token endpoint, REST and MCP tools.

One call per attempt, one answer for every adapter::

    decision = ratelimit.hit(Rule.TOKEN_PER_CLIENT, client_id)
    if not decision.allowed:
        ...  # 429 with decision.refusal_headers() / RateLimited(retry_after=decision.reset_seconds)

Quotas come from the settings (``rules.quotas``); where the counts live is explained in
``limiter``. ``release`` gives an attempt back after a success (sign-in and TOTP count failures
only).
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session

from newledger.config import get_settings
from newledger.ratelimit.limiter import Decision, Limiter
from newledger.ratelimit.rules import Quota, Rule, quotas

__all__ = ["Decision", "Limiter", "Quota", "Rule", "hit", "limiter", "release"]


@lru_cache(maxsize=1)
def limiter() -> Limiter:
    """This process's limiter, from the settings (``NEWLEDGER_REDIS_URL`` and the quotas)."""
    settings = get_settings()
    url = settings.redis_url.get_secret_value() if settings.redis_url is not None else ""
    return Limiter(quotas(settings), url or None)


def hit(rule: Rule, key: str, *, session: Session | None = None) -> Decision:
    return limiter().hit(rule, key, session=session)


def release(rule: Rule, key: str, *, session: Session | None = None) -> None:
    limiter().release(rule, key, session=session)
