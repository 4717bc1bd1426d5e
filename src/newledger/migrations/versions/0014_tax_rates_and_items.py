"""sales tax / VAT rates, items (products and services), tax on invoice and expense lines, and
a company's tax rounding rule

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00

Existing documents carry no tax: ``tax_mode`` exclusive, ``tax_total`` 0 and ``subtotal`` equal
to ``total``, so every stored figure keeps its meaning. No account is added to existing charts
here: a company that never uses a purchase rate never needs "Input Tax Recoverable", and the
first purchase rate creates it (``newledger.ledger.tax_rates``), so a code a company already uses
is never taken over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As ``newledger.money.MAX_MINOR``, written out so this revision never changes.
_MAX = 10**15
_DOCUMENTS = ("invoices", "expenses")
_LINES = ("invoice_lines", "expense_lines")


def _bounded(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} > -{_MAX} AND {column} < {_MAX}", name=op.f(f"ck_{table}_{column}_bounded")
    )


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", newledger.db.UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("rate >= 0 AND rate < 100", name=op.f("ck_tax_rates_rate_range")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tax_rates_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_tax_rates_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_tax_rates_company_id_name")),
    )
    op.create_index("ix_tax_rates_company_updated", "tax_rates", ["company_id", "updated_at"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("income_account_id", sa.Integer(), nullable=True),
        sa.Column("expense_account_id", sa.Integer(), nullable=True),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_items_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["income_account_id"],
            ["accounts.id"],
            name=op.f("fk_items_income_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["expense_account_id"],
            ["accounts.id"],
            name=op.f("fk_items_expense_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"], ["tax_rates.id"], name=op.f("fk_items_tax_rate_id_tax_rates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_items_company_id_code")),
    )
    op.create_index("ix_items_company_updated", "items", ["company_id", "updated_at"])
    for table in _DOCUMENTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "tax_mode", sa.String(length=16), server_default="exclusive", nullable=False
                )
            )
            batch_op.add_column(
                sa.Column("subtotal", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.add_column(
                sa.Column("tax_total", sa.BigInteger(), server_default="0", nullable=False)
            )
        op.execute(f"UPDATE {table} SET subtotal = total")
        with op.batch_alter_table(table) as batch_op:
            for column in ("tax_mode", "subtotal", "tax_total"):
                batch_op.alter_column(column, server_default=None)
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_subtotal_bounded"), f"subtotal > -{_MAX} AND subtotal < {_MAX}"
            )
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_tax_total_bounded"),
                f"tax_total > -{_MAX} AND tax_total < {_MAX}",
            )
    for table in _LINES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("tax_rate_id", sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column("tax_amount", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_tax_rate_id_tax_rates"), "tax_rates", ["tax_rate_id"], ["id"]
            )
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_item_id_items"), "items", ["item_id"], ["id"]
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("tax_amount", server_default=None)
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_tax_amount_bounded"),
                f"tax_amount > -{_MAX} AND tax_amount < {_MAX}",
            )
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(
            sa.Column("tax_rounding", sa.String(length=16), server_default="line", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_column("tax_rounding")
    for table in _LINES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_tax_amount_bounded"), type_="check")
            batch_op.drop_constraint(op.f(f"fk_{table}_item_id_items"), type_="foreignkey")
            batch_op.drop_constraint(op.f(f"fk_{table}_tax_rate_id_tax_rates"), type_="foreignkey")
            batch_op.drop_column("item_id")
            batch_op.drop_column("tax_amount")
            batch_op.drop_column("tax_rate_id")
    for table in _DOCUMENTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_tax_total_bounded"), type_="check")
            batch_op.drop_constraint(op.f(f"ck_{table}_subtotal_bounded"), type_="check")
            batch_op.drop_column("tax_total")
            batch_op.drop_column("subtotal")
            batch_op.drop_column("tax_mode")
    op.drop_index("ix_items_company_updated", table_name="items")
    op.drop_table("items")
    op.drop_index("ix_tax_rates_company_updated", table_name="tax_rates")
    op.drop_table("tax_rates")
