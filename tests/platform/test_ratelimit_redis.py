"""The limiter on a real Redis: counts shared by every limiter (worker) that uses it, and what
happens when Redis is unreachable, stops, and comes back."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.ratelimit import Limiter, Quota, Rule
from newledger.ratelimit.models import RateLimitCounter
from tests.conftest import free_port
from tests.support.redis import RedisServer, shared_redis_url

NOW = 1_000_000.0


def limiter(url: str, prefix: str, limit: int = 3, retry_seconds: float = 15) -> Limiter:
    quotas = {rule: Quota(limit, 60) for rule in Rule}
    return Limiter(quotas, url, key_prefix=prefix, retry_seconds=retry_seconds)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "newledger.ratelimit" and r.levelno == logging.WARNING
    ]


@pytest.fixture
def prefix() -> str:
    """Keys of their own on the shared Redis, so parallel tests never meet."""
    return f"nltest:{uuid.uuid4().hex}"


def test_limiters_on_one_redis_share_every_count(
    prefix: str, sessions: sessionmaker[Session]
) -> None:
    url = shared_redis_url()
    one, two = limiter(url, prefix), limiter(url, prefix)
    assert one.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW).remaining == 2
    assert two.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW).remaining == 1
    assert one.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW).remaining == 0
    refused = two.hit(Rule.TOKEN_PER_CLIENT, "c", now=NOW)
    assert not refused.allowed and refused.first_refusal and refused.reset_seconds == 20
    # Sign-in counts go to Redis too, and a success is given back there.
    with sessions.begin() as session:
        one.hit(Rule.SIGNIN_PER_ACCOUNT, "d", session=session, now=NOW)
        two.release(Rule.SIGNIN_PER_ACCOUNT, "d", session=session, now=NOW)
        assert two.hit(Rule.SIGNIN_PER_ACCOUNT, "d", session=session, now=NOW).attempts == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
    stored = redis.Redis.from_url(url).get(f"{prefix}:login:account:d:{int(NOW) // 60 * 60}")
    assert stored == b"1"


def test_an_unreachable_redis_falls_back_to_memory_with_one_warning(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    lim = limiter(f"redis://127.0.0.1:{free_port()}/0", prefix, limit=5)
    with caplog.at_level(logging.INFO, logger="newledger.ratelimit"):
        started = time.monotonic()
        decisions = [lim.hit(Rule.API_PER_GRANT, "app:1", now=NOW) for _ in range(50)]
        elapsed = time.monotonic() - started
    assert sum(d.allowed for d in decisions) == 5  # the limit still holds, per worker
    assert elapsed < 1  # no request waits on the dead address
    [warning] = warnings_of(caplog)
    assert "Redis at 127.0.0.1" in warning and "unreachable" in warning


def test_when_redis_stops_counts_move_to_memory_and_the_database_then_back(
    prefix: str, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer()
    try:
        lim = limiter(server.url, prefix, limit=100, retry_seconds=0.1)
        assert lim.hit(Rule.API_PER_GRANT, "app:1").attempts == 1
        server.stop()
        with caplog.at_level(logging.INFO, logger="newledger.ratelimit"):
            for _ in range(20):
                assert lim.hit(Rule.API_PER_GRANT, "app:1").allowed
            # Sign-in stays shared: it falls back to the database, not to memory.
            with sessions.begin() as session:
                lim.hit(Rule.SIGNIN_PER_IP, "192.0.2.7", session=session)
            with sessions() as session:
                keys = session.scalars(select(RateLimitCounter.key)).all()
            assert keys == ["login:ip:192.0.2.7"]
            assert len(warnings_of(caplog)) == 1
            server.start()
            assert lim.redis is not None
            deadline = time.monotonic() + 10
            while not lim.redis.available:  # a hit while Redis is down starts the probe
                assert time.monotonic() < deadline, "the limiter never went back to Redis"
                lim.hit(Rule.TOKEN_PER_IP, "192.0.2.8")
                time.sleep(0.05)
        assert len(warnings_of(caplog)) == 1
        assert any("answers again" in r.getMessage() for r in caplog.records)
        # Shared again: a second limiter sees the first one's count.
        lim.hit(Rule.API_PER_GRANT, "app:2")
        assert limiter(server.url, prefix).hit(Rule.API_PER_GRANT, "app:2").attempts == 2
    finally:
        server.stop()
