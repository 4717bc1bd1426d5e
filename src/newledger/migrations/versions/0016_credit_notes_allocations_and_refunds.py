"""credit notes (sales) and vendor credits (purchase), their lines and allocations; what
credit notes took off each invoice and bill; refunds as payments of a credit note

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 07:24:26

Going down drops every credit note, allocation and refund payment with the tables; their
journal entries stay (posted entries are never deleted), so run it only on books without any.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MAX = 10**15  # newledger.money.MAX_MINOR when this was written


def upgrade() -> None:
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tax_mode", sa.String(length=16), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_allocated", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", newledger.db.UTCDateTime(), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=False),
        sa.Column("journal_entry_id", sa.Integer(), nullable=True),
        sa.Column("void_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", newledger.db.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_app_id", sa.Integer(), nullable=True),
        sa.Column("source_connection_id", sa.Integer(), nullable=True),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "amount_allocated > -1000000000000000 AND amount_allocated < 1000000000000000",
            name=op.f("ck_credit_notes_amount_allocated_bounded"),
        ),
        sa.CheckConstraint(
            "amount_refunded > -1000000000000000 AND amount_refunded < 1000000000000000",
            name=op.f("ck_credit_notes_amount_refunded_bounded"),
        ),
        sa.CheckConstraint(
            "subtotal > -1000000000000000 AND subtotal < 1000000000000000",
            name=op.f("ck_credit_notes_subtotal_bounded"),
        ),
        sa.CheckConstraint(
            "tax_total > -1000000000000000 AND tax_total < 1000000000000000",
            name=op.f("ck_credit_notes_tax_total_bounded"),
        ),
        sa.CheckConstraint(
            "total > -1000000000000000 AND total < 1000000000000000",
            name=op.f("ck_credit_notes_total_bounded"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_notes_approved_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_credit_notes_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_credit_notes_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_notes_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_credit_notes_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["void_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_credit_notes_void_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_credit_notes_company_id_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_notes_company_kind_status", ["company_id", "kind", "status"], unique=False
        )
        batch_op.create_index(
            "ix_credit_notes_company_updated", ["company_id", "updated_at"], unique=False
        )

    op.create_table(
        "credit_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("expense_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", newledger.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "amount > -1000000000000000 AND amount < 1000000000000000",
            name=op.f("ck_credit_allocations_amount_bounded"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_allocations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_credit_allocations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_allocations_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_allocations_credit_note_id_credit_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"], ["expenses.id"], name=op.f("fk_credit_allocations_expense_id_expenses")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_allocations_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_allocations")),
    )
    with op.batch_alter_table("credit_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_allocations_credit_note_id"), ["credit_note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_allocations_expense_id"), ["expense_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_allocations_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "credit_note_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "amount > -1000000000000000 AND amount < 1000000000000000",
            name=op.f("ck_credit_note_lines_amount_bounded"),
        ),
        sa.CheckConstraint(
            "tax_amount > -1000000000000000 AND tax_amount < 1000000000000000",
            name=op.f("ck_credit_note_lines_tax_amount_bounded"),
        ),
        sa.CheckConstraint(
            "unit_price > -1000000000000000 AND unit_price < 1000000000000000",
            name=op.f("ck_credit_note_lines_unit_price_bounded"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_credit_note_lines_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_credit_note_lines_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_lines_credit_note_id_credit_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_credit_note_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"],
            ["tax_rates.id"],
            name=op.f("fk_credit_note_lines_tax_rate_id_tax_rates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_lines")),
    )
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_note_lines_credit_note_id"), ["credit_note_id"], unique=False
        )

    for table in ("expenses", "invoices"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("amount_credited", sa.BigInteger(), server_default="0", nullable=False)
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("amount_credited", server_default=None)
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_amount_credited_bounded"),
                f"amount_credited > -{_MAX} AND amount_credited < {_MAX}",
            )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_note_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_payments_credit_note_id"), ["credit_note_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_credit_note_id_credit_notes"),
            "credit_notes",
            ["credit_note_id"],
            ["id"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM payments WHERE credit_note_id IS NOT NULL")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payments_credit_note_id_credit_notes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payments_credit_note_id"))
        batch_op.drop_column("credit_note_id")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoices_amount_credited_bounded"), type_="check")
        batch_op.drop_column("amount_credited")

    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_expenses_amount_credited_bounded"), type_="check")
        batch_op.drop_column("amount_credited")

    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_note_lines_credit_note_id"))

    op.drop_table("credit_note_lines")
    with op.batch_alter_table("credit_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_allocations_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_credit_allocations_expense_id"))
        batch_op.drop_index(batch_op.f("ix_credit_allocations_credit_note_id"))

    op.drop_table("credit_allocations")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_notes_company_updated")
        batch_op.drop_index("ix_credit_notes_company_kind_status")

    op.drop_table("credit_notes")
