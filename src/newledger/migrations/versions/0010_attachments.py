"""attachments: files (receipts) kept with invoices and expenses

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:00:00

The files themselves live under the attachment directory (``attachments.storage``); going down
drops the rows and leaves the files, which no row names any more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("expense_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(invoice_id IS NULL) <> (expense_id IS NULL)",
            name=op.f("ck_attachments_one_document"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_attachments_size_positive")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_attachments_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_attachments_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"], ["expenses.id"], name=op.f("fk_attachments_expense_id_expenses")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_attachments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    op.create_index(
        "ix_attachments_company_expense", "attachments", ["company_id", "expense_id"], unique=False
    )
    op.create_index(
        "ix_attachments_company_invoice", "attachments", ["company_id", "invoice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_attachments_company_invoice", table_name="attachments")
    op.drop_index("ix_attachments_company_expense", table_name="attachments")
    op.drop_table("attachments")
