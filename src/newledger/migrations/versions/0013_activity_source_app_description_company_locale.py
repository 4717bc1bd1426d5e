"""activity source (how each logged action came in: web, api, mcp, cli, demo, system) and
an app's description, and a company's locale (how its amounts read)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 04:20:00

Rows written before this revision keep an empty source: the activity page shows none for them
rather than guessing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="", nullable=False)
        )
    with op.batch_alter_table("appconnect_apps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("description", sa.String(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=16), server_default="en_US", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("appconnect_apps", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("source")
