"""Database migrations (Alembic), driven from Python so the CLI works from any directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from newledger.models import Base

__all__ = [
    "Upgraded",
    "alembic_config",
    "current_revision",
    "downgrade",
    "pending_model_changes",
    "upgrade",
]

_HERE = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


@dataclass(frozen=True)
class Upgraded:
    """What an upgrade did: the revision before (None: a new, empty database), the one after,
    and how many migrations ran between them."""

    before: str | None
    after: str | None
    applied: int

    def describe(self) -> str:
        if self.applied == 0:
            return f"Database already up to date (revision {self.after})."
        plural = "s" if self.applied != 1 else ""
        if self.before is None:
            return (
                f"Database created: {self.applied} migration{plural} applied, now at {self.after}."
            )
        return (
            f"Database upgraded from {self.before} to {self.after}: "
            f"{self.applied} migration{plural} applied."
        )


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision; None for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    before = current_revision(engine)
    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))
    after = current_revision(engine)
    script = ScriptDirectory.from_config(alembic_config())
    ran = 0 if after == before else len(list(script.iterate_revisions(after, before)))
    return Upgraded(before, after, ran)


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run migrations in one transaction.

    On SQLite, Alembic's batch mode changes a table by copying it, dropping the original and
    renaming the copy. With foreign keys enforced, that DROP deletes every row that references
    the table through ``ON DELETE CASCADE`` (rebuilding ``invoices`` would empty
    ``invoice_lines``) or fails on the others. SQLite's own procedure for such changes
    (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes") is
    followed: foreign keys off outside the transaction, the change, ``PRAGMA foreign_key_check``
    before commit, foreign keys back on.
    """
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no effect inside a transaction
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                run(cfg)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"Migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def pending_model_changes(engine: Engine) -> list[object]:
    """Differences between the models and a migrated database; empty when they agree."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))
