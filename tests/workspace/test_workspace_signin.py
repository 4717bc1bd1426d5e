"""Sign-in, sessions, CSRF and the second factor, over real HTTP against a live server."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity import totp
from newledger.identity.models import RecoveryCode, WebSession
from newledger.ratelimit.models import RateLimitCounter
from tests.conftest import LiveServer
from tests.support.workspace import (
    PASSWORD,
    Person,
    client,
    csrf,
    events,
    make_person,
    post_signin,
    session_cookie,
    sign_in,
    user,
)


def test_signing_in_with_a_password_opens_the_app_and_signing_out_ends_the_session(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "pat@example.com")
    with client(live_server.url) as c:
        assert c.get("/").status_code == 303  # to /signin
        response = sign_in(c, person)
        assert response.headers["location"] == "/"
        home = c.get("/")
        assert home.status_code == 200
        assert "pat@example.com" in home.text
        token = csrf(home.text)
        assert c.post("/signout", data={"csrf_token": token}).status_code == 303
        assert c.get("/").status_code == 303
    with sessions() as s:
        assert s.scalar(select(WebSession)) is None
    kinds = [a.event for a in events(sessions)]
    assert Event.AUTH_LOGIN_SUCCEEDED in kinds and Event.AUTH_LOGOUT in kinds


def test_the_session_id_changes_at_sign_in(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "fix@example.com", with_2fa=True)
    with client(live_server.url) as c:
        # An attacker plants a session id of their choosing before the victim signs in.
        c.cookies.set("nl_session", "attacker-chosen-value", domain="127.0.0.1", path="/")
        response = post_signin(c, person.email)
        assert response.status_code == 303
        pending = session_cookie(c)
        assert pending and pending != "attacker-chosen-value"
        page = c.get("/signin/totp")
        assert person.authenticator is not None
        code = person.authenticator.fresh_code()
        c.post("/signin/totp", data={"code": code, "csrf_token": csrf(page.text)})
        signed_in = session_cookie(c)
        assert signed_in and signed_in not in (pending, "attacker-chosen-value")
        assert c.get("/").status_code == 200
    # The password-step session is gone, not upgraded in place.
    with client(live_server.url) as other:
        other.cookies.set("nl_session", pending, domain="127.0.0.1", path="/")
        assert other.get("/").status_code == 303
        assert other.get("/signin/totp").headers["location"] == "/signin"


def test_a_state_change_without_the_csrf_token_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "csrf@example.com")
    with client(live_server.url) as c:
        # The sign-in form itself needs its pre-session token.
        c.get("/signin")
        refused = c.post("/signin", data={"email": person.email, "password": PASSWORD})
        assert refused.status_code == 403
        assert session_cookie(c) is None
        sign_in(c, person)
        token = csrf(c.get("/").text)
        assert c.post("/signout").status_code == 403
        assert c.post("/signout", data={"csrf_token": "wrong"}).status_code == 403
        forged = c.post("/signout", headers={"X-CSRF-Token": "wrong"})
        assert forged.status_code == 403 and "did not come from NewLedger" in forged.text
        assert c.get("/").status_code == 200  # still signed in
        # The header works as well as the form field.
        assert c.post("/signout", headers={"X-CSRF-Token": token}).status_code == 303
        assert c.get("/").status_code == 303


def test_a_totp_code_that_was_already_used_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "replay@example.com", with_2fa=True)
    auth = person.authenticator
    assert auth is not None
    code = auth.fresh_code()
    with client(live_server.url) as first:
        post_signin(first, person.email)
        page = first.get("/signin/totp")
        ok = first.post("/signin/totp", data={"code": code, "csrf_token": csrf(page.text)})
        assert ok.status_code == 303
    with client(live_server.url) as second:
        post_signin(second, person.email)
        page = second.get("/signin/totp")
        replay = second.post("/signin/totp", data={"code": code, "csrf_token": csrf(page.text)})
        assert replay.status_code == 400
        assert "already used" in replay.text
        assert second.get("/").status_code == 303
        # A code from an earlier step than the accepted one is a replay too.
        older = auth.code_for(auth.last - 1)
        page = second.get("/signin/totp")
        assert (
            second.post(
                "/signin/totp", data={"code": older, "csrf_token": csrf(page.text)}
            ).status_code
            == 400
        )
    failed = [a for a in events(sessions) if a.event == Event.TOTP_FAILED]
    assert failed and failed[0].details["reason"] == "replayed"
    assert all(code not in json.dumps(a.details) for a in events(sessions))


def test_a_recovery_code_signs_in_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "lost-phone@example.com", with_2fa=True)
    assert person.authenticator is not None
    recovery = person.authenticator.recovery_codes[0]
    with client(live_server.url) as c:
        post_signin(c, person.email)
        page = c.get("/signin/totp")
        used = c.post(
            "/signin/recovery", data={"recovery_code": recovery, "csrf_token": csrf(page.text)}
        )
        assert used.status_code == 303
        assert c.get("/").status_code == 200
    with client(live_server.url) as c:
        post_signin(c, person.email)
        page = c.get("/signin/totp")
        again = c.post(
            "/signin/recovery",
            data={"recovery_code": recovery.upper(), "csrf_token": csrf(page.text)},
        )
        assert again.status_code == 400
        assert "already used" in again.text
        assert c.get("/").status_code == 303
    with sessions() as s:
        codes = list(s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == person.user_id)))
        assert len(codes) == 10
        assert sum(1 for r in codes if r.used_at is not None) == 1
        assert all(recovery not in r.code_digest for r in codes)  # only digests are stored
        # and keyed ones: a plain SHA-256 of a ~50-bit code could be brute-forced from a dump
        plain = hashlib.sha256(recovery.replace("-", "").lower().encode()).hexdigest()
        assert all(r.code_digest != plain for r in codes)
        used_rows = s.scalars(
            select(Activity).where(Activity.event == Event.TOTP_RECOVERY_USED)
        ).all()
        assert len(used_rows) == 1 and used_rows[0].details == {"remaining": 9}


def test_the_demo_code_is_shown_for_the_demo_owner_only_in_demo_mode(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    demo = make_person(sessions, "demo@example.com", with_2fa=True, is_demo=True)
    real = make_person(sessions, "real@example.com", with_2fa=True)
    # Demo mode is off by default: not even a demo account sees its code.
    with client(live_server.url) as c:
        post_signin(c, demo.email)
        page = c.get("/signin/totp")
        assert page.status_code == 200
        assert "demo-code" not in page.text and "Demo account only" not in page.text
    server = LiveServer(database_url, tmp_path, {"NEWLEDGER_DEMO_MODE": "true"})
    try:
        _demo_mode_shows_the_demo_code_only(server, demo, real)
    finally:
        server.stop()


def _demo_mode_shows_the_demo_code_only(server: LiveServer, demo: Person, real: Person) -> None:
    with client(server.url) as c:
        post_signin(c, demo.email)
        page = c.get("/signin/totp")
        assert 'id="demo-code"' in page.text and "Demo account only" in page.text
        assert demo.authenticator is not None
        shown = page.text.split('id="demo-code-value">')[1][:6]
        now = totp.counter_at(time.time())
        assert shown in {demo.authenticator.code_for(c) for c in range(now - 1, now + 2)}
    with client(server.url) as c:
        post_signin(c, real.email)
        page = c.get("/signin/totp")
        assert page.status_code == 200
        assert "demo-code" not in page.text and "Demo account only" not in page.text


def test_a_wrong_password_is_refused_and_recorded_without_the_password(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "oops@example.com")
    with client(live_server.url) as c:
        response = post_signin(c, person.email, "not-the-password-123")
        assert response.status_code == 400
        assert "Email or password is incorrect" in response.text
        assert session_cookie(c) is None
    failed = [a for a in events(sessions) if a.event == Event.AUTH_LOGIN_FAILED]
    assert len(failed) == 1
    assert failed[0].subject_id == person.user_id and failed[0].ip == "127.0.0.1"
    assert "not-the-password-123" not in json.dumps(failed[0].details)
    assert user(sessions, person.user_id).totp_secret is None


def test_a_password_typed_into_the_email_field_is_never_stored(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    typed = "Tr0ub4dor&3-horse-battery"
    with client(live_server.url) as c:
        response = post_signin(c, typed, "anything at all")
        assert response.status_code in (400, 401)
        assert typed not in response.text
    with sessions() as s:
        rows = s.scalars(select(Activity).where(Activity.event == Event.AUTH_LOGIN_FAILED)).all()
        keys = s.scalars(select(RateLimitCounter.key)).all()
    assert rows and rows[-1].actor_label == "[not an email address]"
    assert all(typed.lower() not in (r.actor_label + json.dumps(r.details)).lower() for r in rows)
    assert keys and all(typed.lower() not in k for k in keys)
