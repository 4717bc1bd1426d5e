"""Sign-in and TOTP rate limits: a lockout with a clear message and Retry-After, and recovery
once the window has passed. A dedicated server runs with a small limit and a short window."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.tags import Event
from tests.conftest import LiveServer
from tests.support.workspace import PASSWORD, client, csrf, events, make_person, post_signin

LIMIT = 3
WINDOW = 4


@pytest.fixture(scope="module")
def strict_server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(
        database_url,
        Path(tmp_path_factory.mktemp("strict")),
        extra_env={
            "NEWLEDGER_LOGIN_RATE_LIMIT": str(LIMIT),
            "NEWLEDGER_LOGIN_RATE_WINDOW_SECONDS": str(WINDOW),
        },
    )
    yield server
    server.stop()


def _until_locked(attempt: Callable[[], httpx.Response]) -> httpx.Response:
    # Windows are fixed, so a boundary may fall between attempts: keep failing until locked.
    for _ in range(10 * LIMIT):
        response = attempt()
        if response.status_code == 429:
            return response
        assert response.status_code == 400, response.text
    raise AssertionError("never locked")


def test_repeated_wrong_passwords_lock_the_account_then_it_recovers(
    strict_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "brute@example.com")
    with client(strict_server.url) as c:
        locked = _until_locked(lambda: post_signin(c, person.email, "wrong-password-123"))
        assert "Too many sign-in attempts" in locked.text
        retry_after = int(locked.headers["retry-after"])
        assert 1 <= retry_after <= WINDOW
        # Even the right password is refused while locked.
        assert post_signin(c, person.email).status_code == 429
        time.sleep(retry_after + 0.2)
        assert post_signin(c, person.email).status_code == 303
        assert c.get("/").status_code == 200
    locks = [a for a in events(sessions) if a.event == Event.AUTH_LOGIN_LOCKED]
    assert locks and locks[0].details == {"scope": "account"}


def test_repeated_wrong_totp_codes_lock_the_second_step_then_it_recovers(
    strict_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "guesser@example.com", with_2fa=True)
    assert person.authenticator is not None
    with client(strict_server.url) as c:
        assert post_signin(c, person.email).status_code == 303
        token = csrf(c.get("/signin/totp").text)

        def guess() -> httpx.Response:
            return c.post("/signin/totp", data={"code": "000000", "csrf_token": token})

        locked = _until_locked(guess)
        assert "Too many code attempts" in locked.text
        retry_after = int(locked.headers["retry-after"])
        code = person.authenticator.fresh_code()
        refused = c.post("/signin/totp", data={"code": code, "csrf_token": token})
        assert refused.status_code == 429
        time.sleep(retry_after + 0.2)
        # The refused code was never accepted: the app may offer that step again.
        person.authenticator.last -= 1
        code = person.authenticator.fresh_code()
        ok = c.post("/signin/totp", data={"code": code, "csrf_token": token})
        assert ok.status_code == 303, ok.text
        assert c.get("/").status_code == 200
    assert Event.TOTP_LOCKED in [a.event for a in events(sessions)]


def test_other_accounts_are_not_locked_by_one_accounts_failures(
    strict_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    victim = make_person(sessions, "victim@example.com")
    bystander = make_person(sessions, "bystander@example.com")
    with client(strict_server.url) as c:
        _until_locked(lambda: post_signin(c, victim.email, "wrong-password-123"))
        assert post_signin(c, bystander.email, PASSWORD).status_code == 303
