"""payment and categorization drafts: proposals from apps that wait in the review queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 03:54:46.999310

New tables only; the amount bound (``ledger.models.bounded``) is written out so this revision
never changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("expense_id", sa.Integer(), nullable=True),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=False),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_app_id", sa.Integer(), nullable=True),
        sa.Column("source_connection_id", sa.Integer(), nullable=True),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "amount > -1000000000000000 AND amount < 1000000000000000",
            name=op.f("ck_payment_drafts_amount_bounded"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["users.id"],
            name=op.f("fk_payment_drafts_approved_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_payment_drafts_bank_account_id_bank_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_payment_drafts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_payment_drafts_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"], ["expenses.id"], name=op.f("fk_payment_drafts_expense_id_expenses")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_drafts_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_drafts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_drafts")),
    )
    op.create_index("ix_payment_drafts_company_status", "payment_drafts", ["company_id", "status"])
    op.create_index(
        "ix_payment_drafts_company_updated", "payment_drafts", ["company_id", "updated_at"]
    )
    op.create_index(op.f("ix_payment_drafts_expense_id"), "payment_drafts", ["expense_id"])
    op.create_index(op.f("ix_payment_drafts_invoice_id"), "payment_drafts", ["invoice_id"])

    op.create_table(
        "categorization_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("bank_transaction_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("hint_origin", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=False),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_app_id", sa.Integer(), nullable=True),
        sa.Column("source_connection_id", sa.Integer(), nullable=True),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_categorization_drafts_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["users.id"],
            name=op.f("fk_categorization_drafts_approved_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_transaction_id"],
            ["bank_transactions.id"],
            name=op.f("fk_categorization_drafts_bank_transaction_id_bank_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_categorization_drafts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_categorization_drafts_created_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categorization_drafts")),
    )
    op.create_index(
        "ix_categorization_drafts_company_status",
        "categorization_drafts",
        ["company_id", "status"],
    )
    op.create_index(
        "ix_categorization_drafts_company_updated",
        "categorization_drafts",
        ["company_id", "updated_at"],
    )
    # One open proposal per bank transaction.
    op.create_index(
        "uq_categorization_drafts_open",
        "categorization_drafts",
        ["bank_transaction_id"],
        unique=True,
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    )


def downgrade() -> None:
    # Their indexes go with them.
    op.drop_table("categorization_drafts")
    op.drop_table("payment_drafts")
