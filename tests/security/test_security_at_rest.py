"""What is on disk is no use to whoever copies it: TOTP secrets are sealed (AES-GCM under a key
derived from the server key), and the SQLite file, its WAL and the data directory are readable
by their owner only (0600 / 0700)."""

from __future__ import annotations

import base64
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from newledger.db import make_engine, make_sessionmaker
from newledger.identity import sealed, totp
from newledger.identity.models import User
from newledger.migrate import alembic_config, upgrade
from tests.conftest import IS_PG, PG_URL, LiveServer
from tests.support.workspace import Authenticator, client, csrf, make_person, sign_in

_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


def _enrol_over_http(base_url: str, sessions: sessionmaker[Session], email: str) -> str:
    """Sign in, open the 2FA page, confirm a code: the secret as the person's phone has it."""
    person = make_person(sessions, email, company="atrest")
    with client(base_url) as c:
        sign_in(c, person)
        page = c.get("/account/security/2fa")
        found = _SECRET.search(page.text)
        assert found, page.text[:500]
        secret = found.group(1)
        done = c.post(
            "/account/security/2fa",
            data={"code": Authenticator(secret).fresh_code(), "csrf_token": csrf(page.text)},
        )
        assert done.status_code == 200, done.text[:500]
    return secret


def _stored(sessions: sessionmaker[Session], email: str) -> str:
    with sessions() as s:
        raw = s.execute(
            text("SELECT totp_secret FROM users WHERE email = :e"), {"e": email}
        ).scalar_one()
    return str(raw)


def test_an_enrolled_totp_secret_is_stored_sealed_and_still_works(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    email = f"sealed-{uuid.uuid4().hex[:8]}@example.com"
    secret = _enrol_over_http(live_server.url, sessions, email)
    stored = _stored(sessions, email)
    assert secret not in stored
    assert sealed.is_sealed(stored) and len(stored) == 64
    with sessions() as s:
        user = s.query(User).filter_by(email=email).one()
        assert user.totp_secret == secret  # the model reads the plain secret back
        assert user.totp_enabled_at is not None


def test_sealing_the_same_secret_twice_gives_two_different_values() -> None:
    secret = totp.new_secret()
    first, second = sealed.seal(secret), sealed.seal(secret)
    assert first != second
    assert sealed.unseal(first) == sealed.unseal(second) == secret


def test_an_altered_sealed_value_is_refused_not_misread() -> None:
    stored = sealed.seal(totp.new_secret())
    flipped = stored[:20] + ("A" if stored[20] != "A" else "B") + stored[21:]
    with pytest.raises(ValueError, match="does not decrypt"):
        sealed.unseal(flipped)


def test_a_legacy_plain_secret_is_still_read(sessions: sessionmaker[Session]) -> None:
    secret = totp.new_secret()
    with sessions() as s:
        s.execute(
            text(
                "INSERT INTO users (email, name, password_hash, totp_secret, is_active, is_demo,"
                " created_at, updated_at) VALUES ('legacy@example.com', 'l', 'x', :secret,"
                " true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"secret": secret},
        )
        s.commit()
    with sessions() as s:
        assert s.query(User).filter_by(email="legacy@example.com").one().totp_secret == secret


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind, for running migrations from the start."""
    if not IS_PG:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"nlmig_{uuid.uuid4().hex[:12]}"
    admin_url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_migration_seals_existing_secrets_and_the_downgrade_unseals_them(
    fresh_url: str,
) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0001")
        secret = totp.new_secret()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, totp_secret, is_active,"
                    " is_demo, created_at, updated_at) VALUES ('old@example.com', 'o', 'x',"
                    " :secret, true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"secret": secret},
            )
        upgrade(engine)
        raw = "SELECT totp_secret FROM users WHERE email = 'old@example.com'"
        with engine.connect() as conn:
            stored = conn.execute(text(raw)).scalar_one()
        assert sealed.is_sealed(stored) and secret not in stored
        with make_sessionmaker(engine)() as s:
            assert s.query(User).filter_by(email="old@example.com").one().totp_secret == secret
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            assert conn.execute(text(raw)).scalar_one() == secret
    finally:
        engine.dispose()


@pytest.mark.skipif(IS_PG, reason="the SQLite file itself")
def test_the_sqlite_file_holds_no_totp_secret_and_only_its_owner_can_read_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "fresh" / "var"  # does not exist yet: the server's set-up makes it
    env = {k: v for k, v in os.environ.items() if k != "NEWLEDGER_DATABASE_URL"}
    env["NEWLEDGER_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "db", "upgrade"], env=env, check=True
    )
    db_file = data_dir / "newledger.db"
    url = f"sqlite:///{db_file}"
    engine = make_engine(url)
    server = LiveServer(url, data_dir)
    try:
        secret = _enrol_over_http(server.url, make_sessionmaker(engine), "grep@example.com")
        time.sleep(0.5)
        files = [db_file, *(Path(f"{db_file}{s}") for s in ("-wal", "-shm"))]
        present = [f for f in files if f.exists()]
        assert Path(f"{db_file}-wal") in present  # WAL mode: the newest writes are there
        for f in present:
            content = f.read_bytes()
            assert secret.encode() not in content, f
            assert base64.b32decode(secret) not in content, f
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    finally:
        server.stop()
        engine.dispose()
