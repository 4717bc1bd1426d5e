"""Entry point: ``newledger serve | worker | events | db | demo | users | report | export |
apps | categorize | tax-rates | items``."""

from __future__ import annotations

import typer

from newledger.cli import (
    apps,
    categorize,
    db,
    demo,
    events,
    export,
    items,
    reports,
    serve,
    tax_rates,
    users,
    worker,
)

app = typer.Typer(help="NewLedger: double-entry accounting with App Connect.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(apps.app, name="apps")
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.add_typer(events.app, name="events")
app.add_typer(reports.app, name="report")
app.command("export")(export.export)
app.command("demo")(demo.demo)
app.add_typer(categorize.app, name="categorize")
app.add_typer(tax_rates.app, name="tax-rates")
app.add_typer(items.app, name="items")


if __name__ == "__main__":
    app()
