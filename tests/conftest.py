"""Test fixtures: a real database (SQLite file or PostgreSQL) and, for HTTP tests, a real server.

``NEWLEDGER_TEST_POSTGRES_URL`` switches the whole run to PostgreSQL: each run (and each xdist
worker) creates its own database on that server and drops it afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from newledger import runtime
from newledger.appconnect import refusals
from newledger.config import get_settings
from newledger.db import make_engine, make_sessionmaker
from newledger.migrate import upgrade
from newledger.models import Base

PG_URL = os.environ.get("NEWLEDGER_TEST_POSTGRES_URL", "")
TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
# The test process and the servers it starts share one server key (digests made here must verify
# there), and no test run writes a generated key into the checkout.
os.environ["NEWLEDGER_SECRET_KEY"] = TEST_SECRET_KEY
# Servers started by tests deliver no webhooks unless a test asks (tests/events start workers).
os.environ["NEWLEDGER_WEBHOOK_WORKER"] = "false"
IS_PG = bool(PG_URL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set NEWLEDGER_TEST_POSTGRES_URL)")
    for item in items:
        if "postgres_only" in item.keywords and not IS_PG:
            item.add_marker(skip_pg)


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not IS_PG:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'newledger.db'}"
        return
    name = f"nltest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    # What the services themselves open (``runtime``: the refusal recorder's writes, for one)
    # goes to the test database too, never to a database file in the checkout.
    os.environ["NEWLEDGER_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    runtime.get_engine.cache_clear()
    runtime.get_sessionmaker.cache_clear()
    yield eng
    eng.dispose()


def _wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # A server from an earlier test may still be writing (the refusal recorder writes from a
    # background thread); on PostgreSQL TRUNCATE can then deadlock with it. Try again.
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                else:
                    for name in tables:
                        conn.execute(text(f"DELETE FROM {name}"))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory on an empty, migrated database."""
    refusals.flush()  # nothing counted in this process by the last test lands in this one
    _wipe(engine)
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real ``newledger serve`` process on a free port, against the test database."""

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        extra_env: dict[str, str] | None = None,
        args: list[str] | None = None,
        *,
        stderr_path: Path | None = None,
        public_host: str = "127.0.0.1",
    ):
        """``args``: more ``newledger serve`` options (``--workers 2``); ``stderr_path``: write
        the server's stderr (its error log) there, for tests to read; ``public_host``: the host
        of its public URL (``localhost`` for WebAuthn, whose RP id cannot be an IP address)."""
        self.port = free_port()
        self._stderr = stderr_path.open("ab") if stderr_path is not None else None
        self.url = f"http://{public_host}:{self.port}"
        env = {
            **os.environ,
            "NEWLEDGER_DATABASE_URL": database_url,
            "NEWLEDGER_DATA_DIR": str(data_dir),
            "NEWLEDGER_PUBLIC_URL": self.url,
            "NEWLEDGER_SECRET_KEY": TEST_SECRET_KEY,
            **(extra_env or {}),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newledger.cli.main",
                "serve",
                "--port",
                str(self.port),
                "--no-migrate",
                *(args or []),
            ],
            env=env,
            stderr=self._stderr,
        )
        deadline = time.monotonic() + 60  # two workers on a busy 2-core machine
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("newledger serve exited during start-up")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("newledger serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self._stderr is not None:
            self._stderr.close()


@pytest.fixture(scope="session")
def live_server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # Each test wipes the database, so the apps of successive tests get the same ids, and the
    # server's per-app request counter (``API_PER_GRANT``, 6,000 a minute) would carry one
    # test's requests (schemathesis makes thousands) over to the next test's app: 429s that
    # depend on test order. The rate-limit tests start servers of their own with small limits.
    server = LiveServer(
        database_url,
        tmp_path_factory.mktemp("serve"),
        extra_env={"NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": "100000000"},
    )
    yield server
    server.stop()
