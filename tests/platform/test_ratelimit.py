"""The rate limiter's rules and decisions, in memory and in the database (no Redis here).

Windows are fixed and aligned to the clock, so the tests pass ``now`` instead of sleeping.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.config import Settings
from newledger.ratelimit import Limiter, Quota, Rule
from newledger.ratelimit.memory import MemoryCounts
from newledger.ratelimit.models import RateLimitCounter
from newledger.ratelimit.rules import quotas

NOW = 1_000_000.0  # 40 s into the minute that starts at 999,960


def limiter(limit: int = 3, window: int = 60) -> Limiter:
    return Limiter({rule: Quota(limit, window) for rule in Rule})


def test_a_rule_allows_its_limit_per_window_then_refuses_until_the_window_ends() -> None:
    lim = limiter(limit=3)
    decisions = [lim.hit(Rule.API_PER_GRANT, "app:1", now=NOW + i) for i in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert [d.reset_seconds for d in decisions] == [20, 19, 18, 17, 16]
    # The lockout is recorded once per window, on the first refusal.
    assert [d.first_refusal for d in decisions] == [False, False, False, True, False]
    refused = decisions[3]
    assert refused.headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "17",
    }
    assert refused.refusal_headers()["Retry-After"] == "17"
    # The next window starts afresh.
    again = lim.hit(Rule.API_PER_GRANT, "app:1", now=NOW + 20)
    assert again.allowed and again.remaining == 2 and again.reset_seconds == 60


def test_each_rule_and_each_key_counts_on_its_own() -> None:
    lim = limiter(limit=1)
    assert lim.hit(Rule.TOKEN_PER_CLIENT, "client-a", now=NOW).allowed
    assert not lim.hit(Rule.TOKEN_PER_CLIENT, "client-a", now=NOW).allowed
    assert lim.hit(Rule.TOKEN_PER_CLIENT, "client-b", now=NOW).allowed
    assert lim.hit(Rule.TOKEN_PER_IP, "client-a", now=NOW).allowed
    assert lim.hit(Rule.API_PER_GRANT, "client-a", now=NOW).allowed


def test_a_released_attempt_is_given_back_in_memory() -> None:
    lim = limiter(limit=2)
    for _ in range(5):  # five successes, each given back
        assert lim.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW).allowed
        lim.release(Rule.TOKEN_PER_CLIENT, "c", now=NOW)
    assert lim.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW).remaining == 1


def test_quotas_come_from_the_settings() -> None:
    q = quotas(
        Settings(
            login_rate_limit=4,
            login_rate_window_seconds=120,
            token_rate_limit_per_client=7,
            token_rate_limit_per_ip=9,
            token_rate_window_seconds=30,
            api_rate_limit_per_minute=11,
        )
    )
    assert q[Rule.SIGNIN_PER_ACCOUNT] == q[Rule.TOTP_PER_USER] == Quota(4, 120)
    assert q[Rule.PASSWORD_PER_USER] == Quota(4, 120)
    assert q[Rule.SIGNIN_PER_IP] == q[Rule.TOTP_PER_IP] == Quota(20, 120)
    assert q[Rule.TOKEN_PER_CLIENT] == Quota(7, 30)
    assert q[Rule.TOKEN_PER_IP] == Quota(9, 30)
    assert q[Rule.API_PER_GRANT] == Quota(11, 60)
    assert set(q) == set(Rule)


def test_memory_counts_drop_past_windows_when_full_and_survive_a_flood_of_new_keys() -> None:
    counts = MemoryCounts(max_keys=3)
    for key in ("a", "b", "c"):
        counts.add(key, 0)
    counts.add("d", 60)  # full: the keys of the window that ended go
    assert counts.add("a", 60) == 1
    counts.add("b", 60)
    counts.add("e", 60)  # full of current keys: a flood of fresh ids, so start over
    assert counts.add("d", 60) == 1


def test_sign_in_counts_live_in_the_database_and_every_worker_sees_them(
    sessions: sessionmaker[Session],
) -> None:
    """Two limiters stand for two workers (or instances) on one database."""
    one, two = limiter(limit=2), limiter(limit=2)
    with sessions.begin() as session:
        assert one.hit(Rule.SIGNIN_PER_ACCOUNT, "digest", session=session, now=NOW).allowed
    with sessions.begin() as session:
        assert two.hit(Rule.SIGNIN_PER_ACCOUNT, "digest", session=session, now=NOW).allowed
    with sessions.begin() as session:
        refused = one.hit(Rule.SIGNIN_PER_ACCOUNT, "digest", session=session, now=NOW)
        assert not refused.allowed and refused.first_refusal and refused.reset_seconds == 20
    with sessions() as session:
        rows = session.execute(select(RateLimitCounter.key, RateLimitCounter.count)).all()
    assert rows == [("login:account:digest", 3)]


def test_a_successful_sign_in_gives_its_attempt_back_in_the_database(
    sessions: sessionmaker[Session],
) -> None:
    lim = limiter(limit=1)
    for _ in range(3):
        with sessions.begin() as session:
            assert lim.hit(Rule.TOTP_PER_USER, "7", session=session, now=NOW).allowed
            lim.release(Rule.TOTP_PER_USER, "7", session=session, now=NOW)
    with sessions.begin() as session:
        # Giving back more than was taken never goes below zero.
        lim.release(Rule.TOTP_PER_USER, "7", session=session, now=NOW)
        assert lim.hit(Rule.TOTP_PER_USER, "7", session=session, now=NOW).attempts == 1


def test_a_security_rule_without_a_session_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="SIGNIN_PER_IP is counted in the database"):
        limiter().hit(Rule.SIGNIN_PER_IP, "192.0.2.1")
