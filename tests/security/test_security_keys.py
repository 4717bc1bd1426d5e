"""Key separation: each use of the server secret has its own derived key (DESIGN §4), so a
value made under one use is worthless for another."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.workspace import PASSWORD, client, csrf, make_person

SERVER_KEY = b"test-secret-key-0123456789abcdef0123456789"  # the live server's key (conftest)


def test_a_sign_in_form_token_made_with_the_raw_server_key_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "keysep@example.com", company="keysep")
    with client(live_server.url) as c:
        page = c.get("/signin")
        nonce = c.cookies.get("nl_presession")
        assert nonce
        forged = hmac.new(SERVER_KEY, b"presession:" + nonce.encode(), hashlib.sha256).hexdigest()
        refused = c.post(
            "/signin", data={"email": person.email, "password": PASSWORD, "csrf_token": forged}
        )
        assert refused.status_code == 403
        accepted = c.post(
            "/signin",
            data={"email": person.email, "password": PASSWORD, "csrf_token": csrf(page.text)},
        )
        assert accepted.status_code == 303
