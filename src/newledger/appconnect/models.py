"""API credential apps and the access-token deny-list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = ["App", "RevokedToken"]


class App(Base):
    """An API credential app: a client id and secret that a user delegated permissions to.

    ``version`` is written into every access token; rotating, revoking, deleting or restoring
    bumps it, so tokens issued before the change stop validating on the next request.
    """

    __tablename__ = "appconnect_apps"
    __table_args__ = (
        Index("ix_appconnect_apps_company", "company_id", "created_at"),
        # One app per submitted create form: a re-posted form (refresh, double click) cannot
        # make a second app with a second secret.
        UniqueConstraint("company_id", "create_request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Space-separated delegated permissions (a subset of the creator's at create time).
    permissions: Mapped[str] = mapped_column(Text)
    # HMAC-SHA256 digests (hex) of the client secret; the secret itself is never stored.
    secret_digest: Mapped[str] = mapped_column(String(64))
    previous_secret_digest: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    create_request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RevokedToken(Base):
    """Access tokens revoked one by one (RFC 7009) before they expire.

    Rows are only needed until the token would have expired; ``purge_expired`` drops the rest.
    """

    __tablename__ = "appconnect_revoked_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
