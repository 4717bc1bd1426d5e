"""``newledger export --company SLUG --format ledger [--output FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from newledger.cli.common import COMPANY_OPTION, company_actor, err_console, unit_of_work
from newledger.ledger.export import write_ledger_journal


def export(
    company: str = COMPANY_OPTION,
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
        comp, actor = company_actor(session, company)
        if output is None:
            count = write_ledger_journal(session, actor, comp.id, sys.stdout)
        else:
            tmp = output.with_name(output.name + ".partial")
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                count = write_ledger_journal(session, actor, comp.id, fh)
            tmp.replace(output)
    if output is not None:
        err_console.print(f"wrote {count} transactions to {output}")
