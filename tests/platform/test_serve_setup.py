"""``newledger serve`` and ``db upgrade`` on a new machine: the public URL follows the port it
is served on, a public URL that cannot reach the server is warned about, and the upgrade says
what it did."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWLEDGER_")}
    env |= {
        "NEWLEDGER_DATA_DIR": str(tmp_path),
        "NEWLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'books.db'}",
        "NEWLEDGER_SECRET_KEY": os.environ["NEWLEDGER_SECRET_KEY"],
        "NEWLEDGER_WEBHOOK_WORKER": "false",
        **extra,
    }
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _serve(env: dict[str, str], port: int) -> tuple[dict[str, object], str, str]:
    """Start ``serve`` on ``port``, read the OAuth metadata, stop it: (metadata, out, err)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "newledger.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                url = f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server"
                metadata = httpx.get(url, timeout=1).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    return metadata, out, err


def test_db_upgrade_says_it_created_the_database_then_that_it_is_up_to_date(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    first = _cli(env, "db", "upgrade").stdout
    assert first.startswith("Database created: ") and "migrations applied, now at " in first
    again = _cli(env, "db", "upgrade").stdout
    assert again.startswith("Database already up to date (revision ")
    assert first.rsplit(" ", 1)[1].rstrip(".\n") in again


def test_without_a_public_url_every_url_follows_the_port_served_on(tmp_path: Path) -> None:
    port = free_port()
    metadata, out, err = _serve(_env(tmp_path), port)
    base = f"http://127.0.0.1:{port}"
    assert metadata["issuer"] == base
    assert metadata["token_endpoint"] == f"{base}/oauth/token"
    assert f"serving on {base} " in out.replace("\n", " ")
    assert "Database created" in out
    assert "Warning" not in err


def test_a_public_url_on_another_local_port_is_kept_with_a_warning(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, NEWLEDGER_PUBLIC_URL="http://127.0.0.1:8000")
    metadata, out, err = _serve(env, port)
    assert metadata["issuer"] == "http://127.0.0.1:8000"
    assert "NEWLEDGER_PUBLIC_URL is http://127.0.0.1:8000" in " ".join(err.split())
    assert f"on port {port}" in " ".join(err.split())
    assert "(public URL http://127.0.0.1:8000)" in " ".join(out.split())
