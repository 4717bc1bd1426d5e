"""App Connect tables: API credential apps, OAuth clients, OAuth connections (with their
authorization codes and refresh tokens) and the access-token deny-list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = [
    "App",
    "AuthorizationCode",
    "ConsentRequest",
    "OAuthClient",
    "OAuthConnection",
    "RefreshToken",
    "RevokedToken",
]


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
    # What the app is for and who runs it, for the people who review it later.
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
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


class OAuthClient(Base):
    """An OAuth client (an MCP client such as ChatGPT or Claude) that users may connect.

    ``kind`` says where it came from, and so whether the consent screen calls it verified:
    ``registered`` (an admin registered it under Settings → App Connect; verified, belongs to
    ``company_id``), ``dynamic`` (RFC 7591 ``/oauth/register``; unverified, instance-wide) or
    ``metadata`` (a client ID metadata document: ``client_id`` is its https URL; unverified,
    refreshed from the document when ``metadata_expires_at`` has passed).
    """

    __tablename__ = "appconnect_oauth_clients"
    __table_args__ = (Index("ix_appconnect_oauth_clients_company", "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``nloc_…`` for registered and dynamic clients, the document's URL for metadata clients.
    client_id: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # registered | dynamic | metadata
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    client_uri: Mapped[str | None] = mapped_column(String(2048))
    logo_uri: Mapped[str | None] = mapped_column(String(2048))
    # JSON array of exact redirect URIs (validated by ``appconnect/redirect_uris.py``).
    redirect_uris: Mapped[str] = mapped_column(Text)
    application_type: Mapped[str] = mapped_column(String(16), default="web")  # web | native
    # none (public client, PKCE only) | client_secret_basic | client_secret_post
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="none")
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    # Space-separated scopes the client asked for at registration (catalogue names only).
    scope: Mapped[str] = mapped_column(Text, default="")
    # The registration or metadata document as received (JSON), shown on the detail page.
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    metadata_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set at the first approved consent; dynamic clients that never get one are cleaned up.
    first_consented_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OAuthConnection(Base):
    """One approved consent: a user let an OAuth client act in one company (grant kind ``conn``).

    Created when the authorization code is redeemed. ``version`` is written into every access
    token, as for apps: deleting the connection or detecting a replayed refresh token bumps it,
    so every access token already issued fails on its next request.
    """

    __tablename__ = "appconnect_oauth_connections"
    __table_args__ = (
        Index("ix_appconnect_oauth_connections_company", "company_id", "created_at"),
        Index("ix_appconnect_oauth_connections_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("appconnect_oauth_clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Space-separated permissions the user consented to (a subset of theirs at consent time).
    permissions: Mapped[str] = mapped_column(Text)
    # The RFC 8707 resource bound into the grant: a company MCP URL or the generic MCP URL.
    resource: Mapped[str] = mapped_column(String(2048))
    version: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Why it was revoked: refresh_token_reuse | code_replay | client_revoked (RFC 7009) |
    # user_removed (removed from the company or deactivated). Deletion sets deleted_at instead.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)  # consented


class AuthorizationCode(Base):
    """An authorization code (``nlac_…``, digest stored): at most 60 s, redeemed at most once.

    Holds the whole approved consent until redemption creates the connection; a second
    redemption finds ``redeemed_at`` set and revokes ``connection_id``.
    """

    __tablename__ = "appconnect_oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("appconnect_oauth_clients.id", ondelete="CASCADE")
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str] = mapped_column(String(128))
    permissions: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("appconnect_oauth_connections.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RefreshToken(Base):
    """A refresh token (``nlrt_…``, digest stored) of one connection's token family.

    Rotated on every use: the used one gets ``used_at`` and a new one is issued. Presenting a
    used one again revokes the whole connection (RFC 9700 §4.14). Idle ones expire at
    ``expires_at`` (issued + the idle lifetime, 30 days by default).
    """

    __tablename__ = "appconnect_oauth_refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("appconnect_oauth_connections.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentRequest(Base):
    """A validated authorization request on someone's consent screen, waiting for an answer.

    The consent form carries only a random consent id (``consent_digest`` stores its digest);
    what the user answers (client, redirect URI, PKCE challenge, resource, company, offered
    permissions, ``state``) stays here, out of reach of the form. The answer counts only from
    the web session that was shown the screen (``web_session_id``), and only once
    (``answered_at``, set by a conditional UPDATE), within ``expires_at``.
    """

    __tablename__ = "appconnect_oauth_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_digest: Mapped[str] = mapped_column(String(64), unique=True)
    web_session_id: Mapped[int] = mapped_column(
        ForeignKey("web_sessions.id", ondelete="CASCADE"), index=True
    )
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("appconnect_oauth_clients.id", ondelete="CASCADE")
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str] = mapped_column(String(128))
    resource: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str | None] = mapped_column(Text)
    # Space-separated permissions the screen offered (asked for, delegable, held by the user).
    permissions: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
