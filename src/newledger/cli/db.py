"""``newledger db upgrade|check``."""

from __future__ import annotations

import typer

from newledger.cli.common import console, err_console
from newledger.migrate import pending_model_changes, upgrade
from newledger.runtime import get_engine

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(get_engine(), revision)
    console.print("database is up to date")


@app.command("check")
def check_cmd() -> None:
    """Fail when the models and the migrated database disagree."""
    diffs = pending_model_changes(get_engine())
    if diffs:
        for diff in diffs:
            err_console.print(str(diff))
        raise typer.Exit(1)
    console.print("models and migrations agree")
