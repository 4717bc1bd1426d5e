"""``newledger export --company SLUG --format ledger [--output FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from newledger.actor import Actor
from newledger.cli.common import err_console, unit_of_work
from newledger.identity.services import get_company_by_slug
from newledger.ledger.export import write_ledger_journal


def export(
    company: str = typer.Option(..., "--company", help="Company slug"),
    fmt: str = typer.Option("ledger", "--format", help="Only 'ledger' (ledger-cli journal)"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; default stdout"
    ),
) -> None:
    """Export the books as a ledger-cli journal (`ledger -f FILE bal` reads it)."""
    if fmt != "ledger":
        err_console.print(f"[red]error:[/red] unknown format {fmt!r}; use 'ledger'")
        raise typer.Exit(2)
    with unit_of_work() as session:
        comp = get_company_by_slug(session, company)
        actor = Actor.system(comp.id, label="cli")
        if output is None:
            count = write_ledger_journal(session, actor, comp.id, sys.stdout)
        else:
            tmp = output.with_name(output.name + ".partial")
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                count = write_ledger_journal(session, actor, comp.id, fh)
            tmp.replace(output)
    if output is not None:
        err_console.print(f"wrote {count} transactions to {output}")
