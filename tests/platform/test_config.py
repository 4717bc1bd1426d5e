"""Configuration: NEWLEDGER_* variables, and a secret key generated once and kept private."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from newledger.config import Settings, load_or_create_secret_key


def test_a_missing_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    first = load_or_create_secret_key(path)
    assert len(first) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret_key(path) == first


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    keys: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: keys.append(load_or_create_secret_key(path)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1


def test_settings_come_from_newledger_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWLEDGER_SECRET_KEY", raising=False)
    monkeypatch.delenv("NEWLEDGER_DATABASE_URL", raising=False)  # the test run sets it
    monkeypatch.setenv("NEWLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWLEDGER_PUBLIC_URL", "https://books.example.com/")
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/newledger.db"
    assert settings.issuer == "https://books.example.com"
    assert settings.is_https
    # No key configured: one is generated into the data directory and kept.
    assert settings.key() == (tmp_path / "secret.key").read_bytes().strip()
    monkeypatch.setenv("NEWLEDGER_SECRET_KEY", "configured-key")
    assert Settings().key() == b"configured-key"
    assert "configured-key" not in repr(Settings())


def test_demo_mode_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWLEDGER_DEMO_MODE", raising=False)
    assert Settings().demo_mode is False
    monkeypatch.setenv("NEWLEDGER_DEMO_MODE", "true")
    assert Settings().demo_mode is True
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "NEWLEDGER_DEMO_MODE=true $(BIN)/newledger serve" in makefile
