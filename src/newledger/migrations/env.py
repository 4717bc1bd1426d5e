"""Alembic environment: runs against the connection NewLedger hands it (see newledger.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from newledger.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    from newledger.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        run(conn)
else:
    run(connection)
