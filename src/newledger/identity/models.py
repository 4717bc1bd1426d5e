"""Users, companies, memberships, web sessions, recovery codes, passkeys and their challenges."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from newledger.db import Base, UTCDateTime, utcnow
from newledger.identity.sealed import SealedTotpSecret

__all__ = [
    "Company",
    "Invitation",
    "Membership",
    "MembershipPeriod",
    "Passkey",
    "PasskeyChallenge",
    "RecoveryCode",
    "User",
    "WebSession",
]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Sealed with AES-GCM in the database; plain base32 here (identity/sealed.py).
    totp_secret: Mapped[str | None] = mapped_column(SealedTotpSecret())
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Last accepted TOTP time-step: a code at or before it is a replay (RFC 6238 §5.2).
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)
    # The WebAuthn user handle (random, opaque, never the email or the row id): what a passkey
    # stores for this account, set when the first passkey is registered.
    webauthn_user_handle: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")
    passkeys: Mapped[list[Passkey]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Passkey.id",
    )


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    home_currency: Mapped[str] = mapped_column(String(3))
    # How amounts and dates read on its pages (a Babel locale, e.g. en_US, de_DE).
    locale: Mapped[str] = mapped_column(String(16), default="en_US", server_default="en_US")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    # Sales tax rounding: "line" (each line's tax rounded, Xero's default) or "document" (each
    # rate's tax rounded once on the document); see newledger.ledger.tax.
    tax_rounding: Mapped[str] = mapped_column(String(16), default="line", server_default="line")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    company: Mapped[Company] = relationship()


class MembershipPeriod(Base):
    """When a user was a member of a company: the company's activity shows their company-less
    identity events (sign-ins, 2FA) only from inside these periods."""

    __tablename__ = "membership_periods"
    __table_args__ = (Index("ix_membership_periods_company_user", "company_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """An invitation to join a company, by email. Only a digest of its link's token is stored;
    an account holder with that email also sees it after signing in."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_company_status", "company_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(32))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # pending | accepted | declined | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser. Kept in the database so sign-out holds on every instance."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie value; the cookie itself is never stored.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A password-verified session awaiting its TOTP code is not signed in yet.
    pending_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    stepup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_web_sessions_user", "user_id"),)


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Passkey(Base):
    """A WebAuthn credential (a passkey) of one user: it stands in for a TOTP code at sign-in
    and in every step-up confirmation, and signs in on its own (username-less) too."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # base64url of the credential id the authenticator chose (at most 1023 bytes).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    # The COSE public key, as the authenticator sent it at registration.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The authenticator's signature counter: a value that does not go up is refused (0 stays 0
    # for authenticators without a counter).
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[str] = mapped_column(String(200), default="")
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="passkeys")


class PasskeyChallenge(Base):
    """A WebAuthn challenge handed to a browser: single-use, short-lived, and bound to one web
    session (or, before sign-in, the pre-session cookie) and to the action it confirms, so an
    answer made for one action approves nothing else."""

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the challenge bytes: the answer names its challenge; only this finds it.
    challenge_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # Keyed digest of the web session or pre-session it was handed to.
    binding: Mapped[str] = mapped_column(String(64))
    # register | sign-in | step-up
    purpose: Mapped[str] = mapped_column(String(16))
    # The step-up action (e.g. ``app.rotate``) and what it is about (the URL path, the consent).
    action: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    # Whose passkey must answer (None: any, for username-less sign-in).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
