"""``newledger events prune``: the webhook and change-feed housekeeping, now."""

from __future__ import annotations

import typer

from newledger.cli.common import console
from newledger.config import get_settings
from newledger.events.prune import prune
from newledger.runtime import get_sessionmaker

app = typer.Typer(help="Webhook deliveries and the change feed.", no_args_is_help=True)


@app.command("prune")
def prune_cmd() -> None:
    """Delete finished webhook deliveries and changes older than their retention (workers
    also do this about once an hour)."""
    settings = get_settings()
    done = prune(get_sessionmaker())
    console.print(
        f"pruned {done.deliveries} webhook deliveries (older than "
        f"{settings.webhook_retention_days} days) and {done.changes} changes (older than "
        f"{settings.change_feed_retention_days} days)"
    )
