"""``newledger db upgrade|check|verify``."""

from __future__ import annotations

from itertools import groupby

import typer
from rich.table import Table

from newledger.cli.common import console, err_console, unit_of_work
from newledger.identity.services import get_company_by_slug
from newledger.ledger.verify import Drift, count_books, verify_books
from newledger.migrate import pending_model_changes, upgrade
from newledger.runtime import get_engine

app = typer.Typer(help="Database schema and the integrity of the books.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    console.print(upgrade(get_engine(), revision).describe())


@app.command("check")
def check_cmd() -> None:
    """Fail when the models and the migrated database disagree."""
    diffs = pending_model_changes(get_engine())
    if diffs:
        for diff in diffs:
            err_console.print(str(diff))
        raise typer.Exit(1)
    console.print("models and migrations agree")


@app.command("verify")
def verify_cmd(
    company: str | None = typer.Option(None, "--company", help="Company slug; default all"),
) -> None:
    """Recompute every derived figure (daily balances, entry balances, document totals, amounts
    paid, one posting per source) and compare; exit 1 on any drift."""
    with unit_of_work() as session:
        company_id = get_company_by_slug(session, company).id if company else None
        drifts = verify_books(session, company_id)
        companies, entries = count_books(session, company_id)
    if not drifts:
        console.print(
            f"books verified: {companies} compan{'y' if companies == 1 else 'ies'}, "
            f"{entries} entr{'y' if entries == 1 else 'ies'}, no drift"
        )
        return
    for slug, found in groupby(drifts, key=lambda d: d.company):
        console.print(_drift_table(slug, sorted(found, key=lambda d: d.subject)))
    err_console.print(
        f"[red]drift:[/red] {len(drifts)} figure(s) disagree in "
        f"{len({d.company for d in drifts})} of {companies} companies"
    )
    raise typer.Exit(1)


def _drift_table(slug: str, drifts: list[Drift]) -> Table:
    """One company's drifts, grouped by the account or document they are about."""
    table = Table("account or document", "check", "expected", "stored", "what", title=slug)
    for subject, group in groupby(drifts, key=lambda d: d.subject):
        for i, drift in enumerate(group):
            table.add_row(
                subject if i == 0 else "", drift.kind, drift.expected, drift.actual, drift.message
            )
    return table
