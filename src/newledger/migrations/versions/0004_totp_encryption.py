"""seal TOTP secrets at rest (AES-GCM under a key derived from the server key)

Data only: a sealed secret is 64 characters and fits the ``String(64)`` column as it is (see
``identity/sealed.py`` for why the column is not widened). Uses the server key of the
environment that runs the migration, i.e. the same ``NEWLEDGER_SECRET_KEY`` or
``secret.key`` as the server.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from newledger.identity.sealed import is_sealed, seal, unseal

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _rewrite(change: Callable[[str], str | None]) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        new = change(stored)
        if new is not None:
            conn.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=new))


def upgrade() -> None:
    _rewrite(lambda stored: None if is_sealed(stored) else seal(stored))


def downgrade() -> None:
    _rewrite(lambda stored: unseal(stored) if is_sealed(stored) else None)
