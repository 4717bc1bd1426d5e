"""OAuth consent requests: the consent screen's one-time, session-bound answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:04:25.544990
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appconnect_oauth_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_digest", sa.String(length=64), nullable=False),
        sa.Column("web_session_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("resource", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("expires_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("answered_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["appconnect_oauth_clients.id"],
            name=op.f("fk_appconnect_oauth_consents_client_pk_appconnect_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_appconnect_oauth_consents_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["web_session_id"],
            ["web_sessions.id"],
            name=op.f("fk_appconnect_oauth_consents_web_session_id_web_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appconnect_oauth_consents")),
        sa.UniqueConstraint(
            "consent_digest", name=op.f("uq_appconnect_oauth_consents_consent_digest")
        ),
    )
    with op.batch_alter_table("appconnect_oauth_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appconnect_oauth_consents_web_session_id"),
            ["web_session_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("appconnect_oauth_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appconnect_oauth_consents_web_session_id"))

    op.drop_table("appconnect_oauth_consents")
