"""coalesced activity rows: a count and a coalescing key

A flood of refused requests (wrong client secrets, revoked tokens) is recorded as one activity
row per client, reason and minute, whose ``occurrences`` grows, instead of a row per request.
``coalesce_key`` names that row; it is NULL for every ordinary row (NULLs never conflict in a
unique index, on SQLite or PostgreSQL).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: no table rebuild of a possibly large activity table.
    op.add_column(
        "activity",
        sa.Column("occurrences", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )
    op.add_column("activity", sa.Column("coalesce_key", sa.String(64), nullable=True))
    op.create_index("ux_activity_coalesce_key", "activity", ["coalesce_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_activity_coalesce_key", table_name="activity")
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("coalesce_key")
        batch.drop_column("occurrences")
