"""Configuration read from ``NEWLEDGER_*`` environment variables.

The secret key signs sessions and tokens. When none is configured, one is generated on first run
and kept in the data directory with mode 0600, so restarts keep sessions and tokens valid.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "load_or_create_secret_key"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWLEDGER_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = 900
    session_ttl_seconds: int = 12 * 3600
    # Rate limits (newledger/ratelimit): attempts per window. The benchmarks raise the token
    # and API limits above their load.
    login_rate_limit: int = 10
    login_rate_window_seconds: int = 300
    token_rate_limit_per_client: int = 600
    token_rate_limit_per_ip: int = 1200
    token_rate_window_seconds: int = 60
    api_rate_limit_per_minute: int = 6000
    # Answer plain stateless JSON MCP requests on the lean path (appconnect/mcp/lean.py); off
    # sends every request through the SDK transport (the parity tests compare the two).
    mcp_lean_path: bool = True
    # The MCP SDK's OpenTelemetry span per message (``OpenTelemetryMiddleware``). Off: NewLedger
    # exports no traces, and the unused span cost about 3 % of a tool call. On, for a deployment
    # that installs an OpenTelemetry exporter.
    mcp_tracing: bool = False
    # OAuth for MCP clients (DESIGN §4, §5).
    authorization_code_ttl_seconds: int = 60
    refresh_token_idle_days: int = 30
    # Dynamic client registrations (RFC 7591) per IP per hour; clients that never reach an
    # approved consent are deleted after this many hours.
    registration_rate_limit_per_hour: int = 20
    unconsented_client_ttl_hours: int = 24
    # Test-only: lets client ID metadata documents (and other guarded outbound fetches) reach
    # loopback addresses and plain http on loopback. Never set it in production.
    outbound_allow_loopback: bool = False
    # Webhooks (newledger/events): run the delivery worker inside `newledger serve` (off: run
    # `newledger worker` instead, or as well); the first retry's delay, which the later ones
    # scale (5 s → about 27 h of retries); how long a worker owns the rows it claimed (a killed
    # worker's rows come back after it); how often an idle worker looks for work.
    webhook_worker: bool = True
    webhook_retry_base_seconds: float = 5.0
    webhook_lease_seconds: float = 60.0
    webhook_poll_seconds: float = 1.0
    # Housekeeping (``events.prune``, run by every worker about once per interval and by
    # `newledger events prune`): delivered and failed webhook deliveries older than their
    # retention go, with their attempts; so do changes older than the feed's retention (a
    # cursor from before then is answered 410, so a reader resyncs instead of skipping). A
    # rotated webhook secret keeps signing beside the new one for the overlap.
    webhook_retention_days: int = Field(default=30, ge=1)
    change_feed_retention_days: int = Field(default=90, ge=1)
    prune_interval_seconds: float = Field(default=3600.0, gt=0)
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)
    # redis://[:password@]host:port/db: every rate-limit counter is shared through it by all
    # workers and instances. Unset, token and API counters are per worker and sign-in and TOTP
    # counters live in the database. A SecretStr: the URL may carry a password.
    redis_url: SecretStr | None = None
    # Shows demo accounts their current TOTP code at sign-in; `make run` turns it on for the demo.
    demo_mode: bool = False
    # Attachments (newledger/attachments): the largest file accepted, how many files one invoice
    # or expense may carry, and where they are kept (default: ``data_dir / "attachments"``).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    attachment_max_per_document: int = Field(default=20, ge=1)
    attachment_dir: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'newledger.db').resolve()}"

    @property
    def resolved_attachment_dir(self) -> Path:
        return self.attachment_dir or self.data_dir / "attachments"

    @property
    def issuer(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")

    def key(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return load_or_create_secret_key(self.data_dir / "secret.key")


def load_or_create_secret_key(path: Path) -> bytes:
    """Return the key stored at ``path``, creating it (mode 0600) when missing."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # Write a private temporary file, then hard-link it into place: the link either creates the
    # key file complete or fails because another process got there first, so no process ever
    # reads a half-written key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_bytes().strip()
    finally:
        os.unlink(tmp)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
