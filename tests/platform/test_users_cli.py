"""`newledger users deactivate|reactivate|reset-password|reset-2fa`, run as real subprocesses
against a live server's database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import App
from newledger.audit.tags import Event
from newledger.identity.models import Passkey, RecoveryCode, User, WebSession
from tests.conftest import LiveServer
from tests.support.appconnect_ui import make_app, token_response
from tests.support.passkeys import SoftAuthenticator, add_passkey_over_http
from tests.support.workspace import client, events, make_person, post_signin, sign_in


def _cli(
    database_url: str, tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "users", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def test_an_instance_admin_deactivates_and_reactivates_a_user(
    live_server: LiveServer, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    person = make_person(sessions, "leaver@example.com", role="accountant")
    client_id, secret = make_app(sessions, person, "invoices:read")
    token = token_response(live_server.url, client_id, secret).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with client(live_server.url) as c:
        sign_in(c, person)
        done = _cli(database_url, tmp_path, "deactivate", "--email", person.email)
        assert done.returncode == 0, done.stderr
        assert "deactivated leaver@example.com; 1 app(s) revoked" in done.stdout
        assert c.get("/").status_code == 303  # the session ended at once
        assert post_signin(c, person.email).status_code == 400
        me = httpx.get(f"{live_server.url}/api/v1/me", headers=bearer)
        assert me.status_code == 401 and 'error="invalid_token"' in me.headers["www-authenticate"]
        again = _cli(database_url, tmp_path, "deactivate", "--email", person.email)
        assert again.returncode == 1 and "already deactivated" in again.stderr
        back = _cli(database_url, tmp_path, "reactivate", "--email", person.email)
        assert back.returncode == 0, back.stderr
        assert post_signin(c, person.email).status_code == 303
    with sessions() as s:
        assert s.scalars(select(App)).one().revoked_at is not None
    kinds = [(a.event, a.actor_label) for a in events(sessions)]
    assert (Event.USER_DEACTIVATED.value, "cli") in kinds
    assert (Event.USER_REACTIVATED.value, "cli") in kinds
    missing = _cli(database_url, tmp_path, "deactivate", "--email", "nobody@example.com")
    assert missing.returncode == 1


def test_reset_password_prints_a_generated_password_once_and_ends_sessions(
    live_server: LiveServer, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    person = make_person(sessions, "forgetful@example.com")
    with client(live_server.url) as c:
        sign_in(c, person)
        done = _cli(database_url, tmp_path, "reset-password", "--email", person.email, "--generate")
        assert done.returncode == 0, done.stderr
        match = re.search(r"temporary password: (\S+)", done.stdout)
        assert match, done.stdout
        password = match.group(1)
        assert c.get("/").status_code == 303  # signed out everywhere
        assert post_signin(c, person.email).status_code == 400  # the old one no longer works
        assert post_signin(c, person.email, password).status_code == 303
    with sessions() as s:
        assert s.scalar(select(WebSession).where(WebSession.user_id == person.user_id)) is not None
    # Prompted instead: typed twice, never echoed.
    prompted = _cli(
        database_url,
        tmp_path,
        "reset-password",
        "--email",
        person.email,
        stdin="typed-new-password\ntyped-new-password\n",
    )
    assert prompted.returncode == 0, prompted.stderr
    assert "typed-new-password" not in prompted.stdout + prompted.stderr
    with client(live_server.url) as c:
        assert post_signin(c, person.email, "typed-new-password").status_code == 303
    recorded = [a for a in events(sessions) if a.event == Event.PASSWORD_RESET]
    assert len(recorded) == 2
    assert password not in str([a.details for a in events(sessions)])


def test_reset_2fa_clears_totp_passkeys_and_recovery_codes_of_a_locked_out_user(
    live_server: LiveServer, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    person = make_person(sessions, "locked-out@example.com", with_2fa=True)
    assert person.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, person)
        added = add_passkey_over_http(
            c,
            SoftAuthenticator(live_server.url),
            "Lost phone",
            step_up={"code": person.authenticator.fresh_code()},
        )
        assert added.status_code == 303, added.text
        done = _cli(database_url, tmp_path, "reset-2fa", "--email", person.email)
        assert done.returncode == 0, done.stderr
        said = " ".join(done.stdout.split())  # the console wraps long lines
        assert "1 passkey(s) removed" in said and "TOTP turned off" in said
        assert c.get("/").status_code == 303  # signed out everywhere
        # The password alone signs in now; a second factor is set up again from there.
        response = post_signin(c, person.email)
        assert response.status_code == 303 and response.headers["location"] == "/"
    with sessions() as s:
        user = s.get(User, person.user_id)
        assert user is not None and user.totp_enabled_at is None and user.totp_secret is None
        assert s.scalar(select(Passkey)) is None
        assert s.scalar(select(RecoveryCode)) is None
    [reset] = [a for a in events(sessions) if a.event == Event.SECOND_FACTORS_RESET]
    assert reset.actor_label == "cli" and reset.subject_id == person.user_id
    assert reset.details["passkeys_removed"] == 1 and reset.details["totp_was_on"] is True
