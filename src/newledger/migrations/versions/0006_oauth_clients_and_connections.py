"""OAuth clients, connections, authorization codes and refresh tokens (OAuth 2.1 for MCP)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 22:00:10.263966
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appconnect_oauth_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client_uri", sa.String(length=2048), nullable=True),
        sa.Column("logo_uri", sa.String(length=2048), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("application_type", sa.String(length=16), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(length=32), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("metadata_expires_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("first_consented_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", newledger.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_appconnect_oauth_clients_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_appconnect_oauth_clients_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appconnect_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_appconnect_oauth_clients_client_id")),
    )
    with op.batch_alter_table("appconnect_oauth_clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appconnect_oauth_clients_company", ["company_id", "created_at"], unique=False
        )

    op.create_table(
        "appconnect_oauth_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("resource", sa.String(length=2048), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revoked_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("deleted_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["appconnect_oauth_clients.id"],
            name=op.f("fk_appconnect_oauth_connections_client_pk_appconnect_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_appconnect_oauth_connections_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_appconnect_oauth_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appconnect_oauth_connections")),
    )
    with op.batch_alter_table("appconnect_oauth_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appconnect_oauth_connections_client_pk"), ["client_pk"], unique=False
        )
        batch_op.create_index(
            "ix_appconnect_oauth_connections_company", ["company_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_appconnect_oauth_connections_user", ["user_id"], unique=False)

    op.create_table(
        "appconnect_oauth_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("resource", sa.String(length=2048), nullable=False),
        sa.Column("expires_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("redeemed_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["appconnect_oauth_clients.id"],
            name=op.f("fk_appconnect_oauth_codes_client_pk_appconnect_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_appconnect_oauth_codes_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["appconnect_oauth_connections.id"],
            name=op.f("fk_appconnect_oauth_codes_connection_id_appconnect_oauth_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_appconnect_oauth_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appconnect_oauth_codes")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_appconnect_oauth_codes_code_digest")),
    )
    with op.batch_alter_table("appconnect_oauth_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appconnect_oauth_codes_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "appconnect_oauth_refresh_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("used_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("expires_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["appconnect_oauth_connections.id"],
            name=op.f(
                "fk_appconnect_oauth_refresh_tokens_connection_id_appconnect_oauth_connections"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appconnect_oauth_refresh_tokens")),
        sa.UniqueConstraint(
            "token_digest", name=op.f("uq_appconnect_oauth_refresh_tokens_token_digest")
        ),
    )
    with op.batch_alter_table("appconnect_oauth_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appconnect_oauth_refresh_tokens_connection_id"),
            ["connection_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("appconnect_oauth_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appconnect_oauth_refresh_tokens_connection_id"))

    op.drop_table("appconnect_oauth_refresh_tokens")
    with op.batch_alter_table("appconnect_oauth_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appconnect_oauth_codes_expires_at"))

    op.drop_table("appconnect_oauth_codes")
    with op.batch_alter_table("appconnect_oauth_connections", schema=None) as batch_op:
        batch_op.drop_index("ix_appconnect_oauth_connections_user")
        batch_op.drop_index("ix_appconnect_oauth_connections_company")
        batch_op.drop_index(batch_op.f("ix_appconnect_oauth_connections_client_pk"))

    op.drop_table("appconnect_oauth_connections")
    with op.batch_alter_table("appconnect_oauth_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_appconnect_oauth_clients_company")

    op.drop_table("appconnect_oauth_clients")
