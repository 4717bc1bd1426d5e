"""account totals: per account and currency, over all dates, beside the daily balances

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:10:00

Filled from ``account_daily_balances`` in the same migration, so every company's totals agree
with its daily balances from the first request (``newledger db verify`` checks it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002 (``ledger.models.DAILY_BALANCE_MAX``), written out so this revision never changes.
_MAX = 9 * 10**18


def upgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            f"debit >= 0 AND debit <= {_MAX}", name=op.f("ck_account_balances_debit_bounded")
        ),
        sa.CheckConstraint(
            f"credit >= 0 AND credit <= {_MAX}", name=op.f("ck_account_balances_credit_bounded")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_balances_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_account_balances_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "account_id", "currency", name=op.f("pk_account_balances")
        ),
    )
    op.execute(
        "INSERT INTO account_balances (company_id, account_id, currency, debit, credit) "
        "SELECT company_id, account_id, currency, SUM(debit), SUM(credit) "
        "FROM account_daily_balances GROUP BY company_id, account_id, currency"
    )


def downgrade() -> None:
    op.drop_table("account_balances")
