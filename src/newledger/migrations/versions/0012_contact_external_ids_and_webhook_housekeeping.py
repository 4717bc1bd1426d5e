"""contacts: external_id (unique per company), billing and shipping addresses, a version;
change feed: external id and changed fields per change, the last pruned change per company;
webhook endpoints: the previous signing secret during a rotation's overlap

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 04:10:00

Existing contacts get version 1, no external id and empty addresses; existing changes no
external id; nothing is pruned yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import newledger.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As ``ledger.addresses.ADDRESS_LIMITS``, written out so this revision never changes.
_ADDRESS = (
    ("line1", 200),
    ("line2", 200),
    ("city", 100),
    ("region", 100),
    ("postal_code", 20),
    ("country", 2),
)


def _address_columns() -> list[sa.Column[str]]:
    return [
        sa.Column(f"{prefix}_{name}", sa.String(length=limit), nullable=False, server_default="")
        for prefix in ("billing", "shipping")
        for name, limit in _ADDRESS
    ]


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        for column in _address_columns():
            batch_op.add_column(column)
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_contacts_company_id_external_id"), ["company_id", "external_id"]
        )
    with op.batch_alter_table("change_counters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pruned_seq", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("changed_fields", sa.Text(), nullable=True))
        batch_op.create_index("ix_change_events_created", ["created_at"], unique=False)
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("previous_sealed_secret", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("previous_secret_expires_at", newledger.db.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_sealed_secret")
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_index("ix_change_events_created")
        batch_op.drop_column("changed_fields")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("change_counters", schema=None) as batch_op:
        batch_op.drop_column("pruned_seq")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_contacts_company_id_external_id"), type_="unique")
        batch_op.drop_column("version")
        for column in reversed(_address_columns()):
            batch_op.drop_column(column.name)
        batch_op.drop_column("external_id")
