"""``newledger tax-rates list|add|archive|restore``: a company's sales tax / VAT rates.

Rich tables by default, the REST API's JSON with ``--json``. Runs as the system actor, through
the same services as Settings → Tax rates (``newledger.ledger.tax_rates``); every change is in
the activity log, attributed to ``cli``.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.cli.common import (
    COMPANY_OPTION,
    account_labels,
    company_actor,
    console,
    unit_of_work,
)
from newledger.errors import NotFound
from newledger.ledger.chart import account_by_code
from newledger.ledger.models import TaxRate
from newledger.ledger.tax_rates import (
    TaxRateFilters,
    create_tax_rate,
    get_tax_rate,
    list_tax_rates,
    tax_rate_dict,
    update_tax_rate,
)
from newledger.pagination import MAX_LIMIT, PageRequest

__all__ = ["app", "find_tax_rate", "rate_labels"]

app = typer.Typer(help="Sales tax / VAT rates.", no_args_is_help=True)
JsonOpt = typer.Option(False, "--json", help="Print JSON")
RateArg = typer.Argument(..., help="The rate's id or name")


def _percent(rate: Decimal) -> str:
    return format(Decimal(rate).normalize(), "f") + "%"


def rate_labels(session: Session, actor: Actor) -> dict[int, str]:
    """``State tax (7.25%)`` by rate id, archived rates too."""
    every = TaxRateFilters(include_archived=True)
    page = list_tax_rates(session, actor, every, PageRequest(limit=MAX_LIMIT, order="name"))
    return {r.id: f"{r.name} ({_percent(r.rate)})" for r in page.items}


def find_tax_rate(session: Session, actor: Actor, rate: str) -> TaxRate:
    """A rate by id (digits) or by exact name, archived ones too."""
    if rate.isascii() and rate.isdigit() and len(rate) <= 10:
        return get_tax_rate(session, actor, int(rate))
    every = TaxRateFilters(include_archived=True)
    page = list_tax_rates(session, actor, every, PageRequest(limit=MAX_LIMIT, order="name"))
    found = next((r for r in page.items if r.name == rate.strip()), None)
    if found is None:
        raise NotFound(f"No tax rate named {rate!r}", code="unknown_tax_rate")
    return found


@app.command("list")
def list_(
    company: str = COMPANY_OPTION,
    kind: str | None = typer.Option(None, help="sales or purchase (both-way rates too)"),
    every: bool = typer.Option(False, "--all", help="Archived rates too"),
    as_json: bool = JsonOpt,
) -> None:
    """The company's rates by name: percentage, kind, posting account, status."""
    with unit_of_work() as session:
        _, actor = company_actor(session, company)
        filters = TaxRateFilters(kind=kind, include_archived=every)
        rates = list_tax_rates(
            session, actor, filters, PageRequest(limit=MAX_LIMIT, order="name")
        ).items
        rows = [tax_rate_dict(r) for r in rates]
        accounts = account_labels(session, actor)
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("id", "name", "rate", "kind", "account", "status", title=f"Tax rates · {company}")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["name"],
            r["rate"] + "%",
            r["kind"],
            accounts.get(r["account_id"], ""),
            "active" if r["is_active"] else "archived",
        )
    console.print(table)


@app.command("add")
def add(
    company: str = COMPANY_OPTION,
    name: str = typer.Option(..., help="e.g. 'CA sales tax'"),
    rate: str = typer.Option(..., help="Percentage, e.g. 7.25"),
    kind: str = typer.Option("sales", help="sales, purchase or both"),
    account: str | None = typer.Option(
        None, help="Account code to post to; default Sales Tax Payable, or Input Tax Recoverable"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add a rate (in use, its percentage, kind and account are fixed: archive it and add
    another when the law changes)."""
    with unit_of_work() as session:
        comp, actor = company_actor(session, company)
        account_id = None if account is None else account_by_code(session, comp.id, account).id
        made = create_tax_rate(
            session, actor, name=name, rate=rate, kind=kind, account_id=account_id
        )
        row = tax_rate_dict(made)
    if as_json:
        typer.echo(orjson.dumps(row, option=orjson.OPT_INDENT_2).decode())
    else:
        console.print(f"added tax rate {row['id']} {row['name']} {row['rate']}% ({row['kind']})")


def _set_active(company: str, rate: str, active: bool) -> None:
    with unit_of_work() as session:
        _, actor = company_actor(session, company)
        found = find_tax_rate(session, actor, rate)
        update_tax_rate(session, actor, found.id, {"is_active": active})
        label = f"{found.name} ({_percent(found.rate)})"
    console.print(f"{'restored' if active else 'archived'} tax rate {label}")


@app.command("archive")
def archive(company: str = COMPANY_OPTION, rate: str = RateArg) -> None:
    """Archive a rate: no new line may use it; documents keep theirs."""
    _set_active(company, rate, False)


@app.command("restore")
def restore(company: str = COMPANY_OPTION, rate: str = RateArg) -> None:
    """Make an archived rate usable again."""
    _set_active(company, rate, True)
