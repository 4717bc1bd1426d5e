"""Passkeys over real HTTP against a running server: adding them on Settings → Security, signing
in with one (as the second step, and on its own without an email), confirming sensitive
actions with one, and removing them. The answers come from a software authenticator that
signs real WebAuthn data (``tests/support/passkeys.py``)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.identity.models import Passkey, RecoveryCode, User
from tests.conftest import LiveServer
from tests.support.passkeys import (
    SoftAuthenticator,
    add_passkey_over_http,
    answer_with_passkey,
    make_passkey_person,
    options_of,
)
from tests.support.workspace import (
    PASSWORD,
    Authenticator,
    client,
    csrf,
    make_person,
    post_signin,
    sign_in,
)


def _events(sessions: sessionmaker[Session], prefix: str) -> list[Activity]:
    with sessions() as s:
        return list(
            s.scalars(
                select(Activity).where(Activity.event.startswith(prefix)).order_by(Activity.id)
            )
        )


def _passkeys(sessions: sessionmaker[Session], user_id: int) -> list[Passkey]:
    with sessions() as s:
        return list(s.scalars(select(Passkey).where(Passkey.user_id == user_id)))


def test_a_first_passkey_is_listed_brings_recovery_codes_and_signs_in_without_totp(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "pk-first@example.com")
    with client(live_server.url) as c:
        sign_in(c, person)
        device = make_passkey_person(c, person, live_server.url)
        page = c.get("/account/security").text
        assert re.search(r'class="passkey-name">Laptop<', page)
        assert "never" in page  # not used yet
    [row] = _passkeys(sessions, person.user_id)
    assert row.name == "Laptop" and row.sign_count == 0
    with sessions() as s:
        assert s.scalar(select(RecoveryCode).where(RecoveryCode.user_id == person.user_id))
    [added] = _events(sessions, "identity:passkey:added")
    assert added.details == {"passkey_id": row.id, "name": "Laptop"}

    # Now the password alone is not enough: the second step asks for the passkey.
    with client(live_server.url) as c:
        response = post_signin(c, person.email)
        assert response.headers["location"].startswith("/signin/totp")
        page = c.get("/signin/totp").text
        assert 'id="passkey-2fa-form"' in page and 'id="totp-form"' not in page
        data = {"csrf_token": csrf(page), "next": "/account/security"}
        response = answer_with_passkey(c, "/signin/2fa/passkey", data, device)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/account/security"
        assert "passkey-name" in c.get("/account/security").text
    [used] = _passkeys(sessions, person.user_id)
    assert used.last_used_at is not None and used.sign_count == 1
    with sessions() as s:
        signed = s.scalars(
            select(Activity).where(Activity.event == "identity:login:succeeded")
        ).all()
        assert signed[-1].details == {"method": "passkey"}


def test_a_passkey_signs_in_on_its_own_without_an_email(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "pk-alone@example.com", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, person)
        device = SoftAuthenticator(live_server.url)
        assert person.authenticator is not None
        added = add_passkey_over_http(
            c, device, "Phone", step_up={"code": person.authenticator.fresh_code()}
        )
        assert added.status_code == 303 and added.headers["location"].endswith("done=passkey")
    with client(live_server.url) as c:
        page = c.get("/signin?next=/activity").text
        assert 'id="passkey-signin-form"' in page
        data = {"csrf_token": csrf(page), "next": "/activity"}
        options = options_of(c.post("/signin/passkey", data={**data, "webauthn": "options"}))
        assert options["allowCredentials"] == []  # username-less: the authenticator chooses
        assert options["userVerification"] == "required"
        response = c.post("/signin/passkey", data={**data, "passkey": device.get(options)})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/activity"
        assert c.get("/activity").status_code == 200


def test_a_passkey_only_person_confirms_with_it_and_a_wrong_one_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "pk-stepup@example.com")
    stranger = make_person(sessions, "pk-stranger@example.com", company="other")
    with client(live_server.url) as c:
        sign_in(c, stranger)
        strangers_device = make_passkey_person(c, stranger, live_server.url)
    with client(live_server.url) as c:
        sign_in(c, person)
        device = make_passkey_person(c, person, live_server.url)
        page = c.get("/account/security").text
        assert 'name="code"' not in page  # no TOTP: the passkey is the way to confirm
        data = {"csrf_token": csrf(page)}
        # Without an answer: the confirmation page, offering the passkey only.
        asked = c.post("/account/security/sessions/revoke-others", data=data)
        assert asked.status_code == 200
        assert 'id="stepup-passkey"' in asked.text and 'id="code"' not in asked.text
        # Someone else's passkey is not offered, and its answer is refused.
        path = "/account/security/sessions/revoke-others"
        options = options_of(c.post(path, data={**data, "webauthn": "options"}))
        strangers_device.passkeys[0].user_handle = device.passkeys[0].user_handle
        refused = c.post(path, data={**data, "passkey": strangers_device.get(options)})
        assert refused.status_code == 400
        assert "not registered to this account" in refused.text
        done = answer_with_passkey(c, path, data, device)
        assert done.status_code == 303, done.text
    with sessions() as s:
        confirmed = s.scalars(
            select(Activity).where(Activity.event == "identity:stepup:confirmed")
        ).all()
        assert [a.details for a in confirmed] == [
            {"action": "sessions.revoke_others", "method": "passkey"}
        ]
    [failed] = _events(sessions, "identity:passkey:failed")
    assert failed.details["reason"] == "unknown_passkey"
    assert failed.details["action"] == "sessions.revoke_others"


def test_removing_the_last_second_factor_needs_a_fresh_confirmation_and_ends_recovery_codes(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "pk-remove@example.com", with_2fa=True)
    assert person.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, person)
        device = SoftAuthenticator(live_server.url)
        add_passkey_over_http(c, device, "Key", step_up={"code": person.authenticator.fresh_code()})
        [key] = _passkeys(sessions, person.user_id)
        token = csrf(c.get("/account/security").text)
        # Rename: no confirmation needed, but recorded.
        renamed = c.post(
            f"/account/security/passkeys/{key.id}/rename",
            data={"csrf_token": token, "name": "  Blue   key "},
        )
        assert renamed.status_code == 303
        # Turning TOTP off (a passkey remains): confirmed with the passkey.
        off = answer_with_passkey(c, "/account/security/2fa/disable", {"csrf_token": token}, device)
        assert off.status_code == 303, off.text
        with sessions() as s:
            user = s.get(User, person.user_id)
            assert user is not None and user.totp_enabled_at is None and user.totp_secret is None
            assert s.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id))
        # The last factor: the confirmation page says what follows, and nothing happens
        # without the passkey's answer.
        path = f"/account/security/passkeys/{key.id}/remove"
        asked = c.post(path, data={"csrf_token": token})
        assert asked.status_code == 200
        assert "no second factor left" in asked.text and "Blue key" in asked.text
        assert len(_passkeys(sessions, person.user_id)) == 1
        removed = answer_with_passkey(c, path, {"csrf_token": token}, device)
        assert removed.status_code == 303, removed.text
        assert "You have no passkeys yet" in c.get("/account/security").text
    assert _passkeys(sessions, person.user_id) == []
    with sessions() as s:
        assert s.scalar(select(RecoveryCode).where(RecoveryCode.user_id == person.user_id)) is None
    events = [a.event for a in _events(sessions, "identity:")]
    for expected in (
        "identity:passkey:added",
        "identity:passkey:renamed",
        "identity:totp:disabled",
        "identity:passkey:removed",
    ):
        assert expected in events
    with client(live_server.url) as c:
        response = post_signin(c, person.email, PASSWORD)
        assert response.headers["location"] == "/"  # no second step left
    with client(live_server.url) as c:  # a removed passkey signs nobody in
        page = c.get("/signin").text
        data = {"csrf_token": csrf(page), "next": "/"}
        refused = answer_with_passkey(c, "/signin/passkey", data, device)
        assert refused.status_code == 400
        assert "nl_session" not in refused.cookies
    assert _events(sessions, "identity:passkey:failed")[-1].details["reason"] == "unknown_passkey"


def test_a_passkey_user_adds_totp_only_after_confirming_with_the_passkey(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """Otherwise a borrowed session could add an authenticator of its own and then confirm
    anything with it."""
    person = make_person(sessions, "pk-add-totp@example.com")
    with client(live_server.url) as c:
        sign_in(c, person)
        device = make_passkey_person(c, person, live_server.url)
        assert c.get("/account/security/2fa").headers["location"] == "/account/security"
        token = csrf(c.get("/account/security").text)
        asked = c.post("/account/security/2fa/start", data={"csrf_token": token})
        assert asked.status_code == 200 and 'id="totp-secret"' not in asked.text
        with sessions() as s:
            user = s.get(User, person.user_id)
            assert user is not None and user.totp_secret is None
        page = answer_with_passkey(c, "/account/security/2fa/start", {"csrf_token": token}, device)
        assert page.status_code == 200, page.text
        secret = re.search(r'<code id="totp-secret">([^<]+)</code>', page.text)
        assert secret
        phone = Authenticator(secret.group(1))
        enrolled = c.post(
            "/account/security/2fa",
            data={"csrf_token": csrf(page.text), "code": phone.fresh_code()},
        )
        assert enrolled.status_code == 200 and 'id="recovery-codes"' in enrolled.text
        # Both factors now: either confirms.
        page = c.get("/account/security").text
        assert 'name="code"' in page and "data-passkey-stepup" in page
        done = c.post(
            "/account/security/sessions/revoke-others",
            data={"csrf_token": csrf(page), "code": phone.fresh_code()},
        )
        assert done.status_code == 303
    assert [a.details["action"] for a in _events(sessions, "identity:stepup")] == [
        "totp.enrol",
        "sessions.revoke_others",
    ]


def test_on_an_ip_address_the_page_says_why_passkeys_cannot_be_added(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """Browsers refuse passkeys for an IP address: the default server here is published as
    http://127.0.0.1:<port>, so the page explains instead of offering a form that would fail
    (the browser tests run on a server published as localhost, where the form is offered)."""
    person = make_person(sessions, "pk-ip@example.com")
    with client(live_server.url) as c:
        sign_in(c, person)
        page = c.get("/account/security").text
    assert 'id="passkey-ip-host"' in page and "NEWLEDGER_PUBLIC_URL" in page
    assert 'id="passkey-add-form"' not in page
