"""Two ``newledger serve`` processes on one database and one Redis behave as one for rate limits,
and keep serving when Redis stops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.ratelimit.models import RateLimitCounter
from tests.conftest import LiveServer
from tests.support.api import Api
from tests.support.appconnect import make_app, server_key, token_for
from tests.support.books import make_books
from tests.support.redis import RedisServer
from tests.support.workspace import client, make_person, post_signin

__all__ = ["server_key"]

API_LIMIT = 8
SIGNIN_LIMIT = 3


def serve_pair(database_url: str, redis_url: str, tmp: Path) -> tuple[LiveServer, LiveServer]:
    env = {
        "NEWLEDGER_REDIS_URL": redis_url,
        "NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": str(API_LIMIT),
        "NEWLEDGER_LOGIN_RATE_LIMIT": str(SIGNIN_LIMIT),
        "NEWLEDGER_LOGIN_RATE_WINDOW_SECONDS": "3600",
    }
    one = LiveServer(database_url, tmp / "one", env, stderr_path=tmp / "one.log")
    try:
        two = LiveServer(database_url, tmp / "two", env, stderr_path=tmp / "two.log")
    except BaseException:
        one.stop()
        raise
    return one, two


@pytest.fixture(scope="module")
def pair(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    server = RedisServer()
    one, two = serve_pair(database_url, server.url, tmp_path_factory.mktemp("pair"))
    yield one, two
    one.stop()
    two.stop()
    server.stop()


def fresh_minute() -> None:
    """API windows are clock minutes: start a burst with at least 20 s of its minute left."""
    left = 60 - time.time() % 60
    if left < 20:
        time.sleep(left + 0.05)


def api_pair(sessions: sessionmaker[Session], one: LiveServer, two: LiveServer) -> list[Api]:
    cred = make_app(sessions, make_books(sessions, invoices=0).tenant, "invoices:read")
    token = token_for(one.url, cred)  # a token from one instance works on the other
    return [Api(one.url, token), Api(two.url, token)]


def alternate(apis: list[Api], n: int) -> list[int]:
    return [apis[i % 2].get("/me").status_code for i in range(n)]


def lock_out(one: LiveServer, two: LiveServer, email: str) -> list[int]:
    """Wrong passwords for ``email``, alternating between the instances."""
    with client(one.url) as a, client(two.url) as b:
        return [post_signin((a, b)[i % 2], email, "wrong-password-1").status_code for i in range(6)]


def counter_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(RateLimitCounter)) or 0)


def test_two_instances_share_one_limit_through_redis(
    pair: tuple[LiveServer, LiveServer], sessions: sessionmaker[Session], server_key: None
) -> None:
    one, two = pair
    apis = api_pair(sessions, one, two)
    fresh_minute()
    codes = alternate(apis, 3 * API_LIMIT)
    assert codes.count(200) == API_LIMIT, codes  # not API_LIMIT on each
    assert set(codes) == {200, 429}
    # Sign-in too: the fourth wrong password is refused, whichever instance gets it.
    make_person(sessions, "shared@example.com")
    assert lock_out(one, two, "shared@example.com") == [400] * SIGNIN_LIMIT + [429] * 3
    assert counter_rows(sessions) == 0  # counted in Redis, not in the database


def test_when_redis_stops_both_instances_keep_serving_and_each_warns_once(
    engine: Engine,
    database_url: str,
    sessions: sessionmaker[Session],
    server_key: None,
    tmp_path: Path,
) -> None:
    server = RedisServer()
    one, two = serve_pair(database_url, server.url, tmp_path)
    try:
        apis = api_pair(sessions, one, two)
        fresh_minute()
        assert alternate(apis, 2 * API_LIMIT).count(200) == API_LIMIT
        server.stop()
        # Each worker now counts on its own, from zero: both serve again, up to the limit each.
        codes = alternate(apis, 4 * API_LIMIT)
        assert codes.count(200) == 2 * API_LIMIT, codes
        assert set(codes) == {200, 429}
        # Sign-in falls back to the database, so it stays shared across the instances.
        make_person(sessions, "outage@example.com")
        assert lock_out(one, two, "outage@example.com") == [400] * SIGNIN_LIMIT + [429] * 3
        assert counter_rows(sessions) > 0
        assert httpx.get(f"{two.url}/healthz").status_code == 200
    finally:
        one.stop()
        two.stop()
        server.stop()
    for name in ("one.log", "two.log"):
        log = (tmp_path / name).read_text()
        warnings = [line for line in log.splitlines() if "Redis at 127.0.0.1" in line]
        assert len(warnings) == 1, log
        assert "unreachable" in warnings[0]
