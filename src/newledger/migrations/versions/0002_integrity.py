"""books integrity: one posting per source, one reversal per entry, bounded amounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_MINOR = 10**15  # newledger.money.MAX_MINOR when this revision was written
DAILY_BALANCE_MAX = 9 * 10**18
_ORIGINAL = "reverses_entry_id IS NULL AND source_id IS NOT NULL"

# table → columns bounded to ±MAX_MINOR
_BOUNDED = {
    "invoices": ("total", "amount_paid"),
    "invoice_lines": ("unit_price", "amount"),
    "expenses": ("total", "amount_paid"),
    "expense_lines": ("amount",),
    "payments": ("amount",),
    "bank_transactions": ("amount",),
    "journal_lines": ("amount",),
}


def _refuse_damaged_books() -> None:
    """The new constraints cannot hold on books that already broke them (a double posting from
    the old race, an amount past the bound): say so plainly instead of failing mid-way."""
    conn = op.get_bind()
    doubled = conn.execute(
        sa.text(
            "SELECT company_id, source_type, source_id, COUNT(*) FROM journal_entries "
            f"WHERE {_ORIGINAL} GROUP BY company_id, source_type, source_id HAVING COUNT(*) > 1"
        )
    ).all()
    problems = [f"company {c}: {n} postings of {t} {i}" for c, t, i, n in doubled]
    for table, columns in _BOUNDED.items():
        for column in columns:
            over = conn.execute(
                sa.text(f"SELECT COUNT(*) FROM {table} WHERE abs({column}) >= {MAX_MINOR}")
            ).scalar_one()
            if over:
                problems.append(f"{over} {table}.{column} values beyond ±{MAX_MINOR}")
    if problems:
        raise RuntimeError(
            "These books have damage the new integrity constraints refuse; correct it with "
            "reversing entries (see `newledger db verify`), then upgrade again: "
            + "; ".join(problems)
        )


def upgrade() -> None:
    _refuse_damaged_books()
    op.create_index(
        "uq_journal_entries_source",
        "journal_entries",
        ["company_id", "source_type", "source_id"],
        unique=True,
        sqlite_where=sa.text(_ORIGINAL),
        postgresql_where=sa.text(_ORIGINAL),
    )
    op.create_index(
        "uq_journal_entries_reverses_entry_id",
        "journal_entries",
        ["reverses_entry_id"],
        unique=True,
    )
    for table, columns in _BOUNDED.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.create_check_constraint(
                    op.f(f"ck_{table}_{column}_bounded"),
                    f"{column} > -{MAX_MINOR} AND {column} < {MAX_MINOR}",
                )
    with op.batch_alter_table("account_daily_balances") as batch_op:
        for column in ("debit", "credit"):
            batch_op.create_check_constraint(
                op.f(f"ck_account_daily_balances_{column}_bounded"),
                f"{column} >= 0 AND {column} <= {DAILY_BALANCE_MAX}",
            )


def downgrade() -> None:
    with op.batch_alter_table("account_daily_balances") as batch_op:
        for column in ("debit", "credit"):
            batch_op.drop_constraint(
                op.f(f"ck_account_daily_balances_{column}_bounded"), type_="check"
            )
    for table, columns in _BOUNDED.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}_bounded"), type_="check")
    op.drop_index("uq_journal_entries_reverses_entry_id", table_name="journal_entries")
    op.drop_index("uq_journal_entries_source", table_name="journal_entries")
