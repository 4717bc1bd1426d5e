"""``newledger items list|add|archive|restore``: a company's products and services.

Rich tables by default, the REST API's JSON with ``--json``. Runs as the system actor, through
the same services as Settings → Items (``newledger.ledger.items``); every change is in the
activity log, attributed to ``cli``.
"""

from __future__ import annotations

import orjson
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from newledger.cli.common import (
    COMPANY_OPTION,
    account_labels,
    company_actor,
    console,
    unit_of_work,
)
from newledger.cli.tax_rates import find_tax_rate, rate_labels
from newledger.ledger.chart import account_by_code
from newledger.ledger.items import (
    ItemFilters,
    create_item,
    get_item_by_code,
    item_dict,
    list_items,
    update_item,
)
from newledger.pagination import PageRequest

__all__ = ["app"]

app = typer.Typer(
    help="Items: products and services whose defaults fill lines.", no_args_is_help=True
)
JsonOpt = typer.Option(False, "--json", help="Print JSON")
PAGE = 200


@app.command("list")
def list_(
    company: str = COMPANY_OPTION,
    search: str | None = typer.Option(None, help="Code or name contains"),
    every: bool = typer.Option(False, "--all", help="Archived items too"),
    as_json: bool = JsonOpt,
) -> None:
    """The company's items by code: price, accounts, tax rate, status."""
    with unit_of_work() as session:
        _, actor = company_actor(session, company)
        filters = ItemFilters(include_archived=every, search=search)
        rows, cursor = [], None
        while True:  # every page: the CLI prints the whole list
            page = list_items(session, actor, filters, PageRequest(PAGE, cursor, order="code"))
            rows += [item_dict(i) for i in page.items]
            if (cursor := page.next_cursor) is None:
                break
        accounts = account_labels(session, actor)
        rates = rate_labels(session, actor)
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(
        "code",
        "name",
        "unit price",
        "income",
        "expense",
        "tax rate",
        "status",
        title=f"Items · {company}",
    )
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            r["unit_price"] or "",
            accounts.get(r["income_account_id"], ""),
            accounts.get(r["expense_account_id"], ""),
            rates.get(r["tax_rate_id"], ""),
            "active" if r["is_active"] else "archived",
        )
    console.print(table)


def _account(session: Session, company_id: int, code: str | None) -> int | None:
    return None if code is None else account_by_code(session, company_id, code).id


@app.command("add")
def add(
    company: str = COMPANY_OPTION,
    code: str = typer.Option(..., help="Unique in the company; what a CRM sends as item_code"),
    name: str = typer.Option(..., help="e.g. 'Hosting, monthly'"),
    description: str = typer.Option("", help="On the line; default the name"),
    price: str | None = typer.Option(None, help="Default unit price, e.g. 49.99"),
    income_account: str | None = typer.Option(None, help="Account code for invoice lines"),
    expense_account: str | None = typer.Option(None, help="Account code for bill lines"),
    tax_rate: str | None = typer.Option(None, help="The tax rate's id or name"),
    as_json: bool = JsonOpt,
) -> None:
    """Add an item."""
    with unit_of_work() as session:
        comp, actor = company_actor(session, company)
        rate_id = None if tax_rate is None else find_tax_rate(session, actor, tax_rate).id
        made = create_item(
            session,
            actor,
            code=code,
            name=name,
            description=description,
            unit_price=price,
            income_account_id=_account(session, comp.id, income_account),
            expense_account_id=_account(session, comp.id, expense_account),
            tax_rate_id=rate_id,
        )
        row = item_dict(made)
    if as_json:
        typer.echo(orjson.dumps(row, option=orjson.OPT_INDENT_2).decode())
    else:
        console.print(f"added item {row['code']} {row['name']} (id {row['id']})")


def _set_active(company: str, code: str, active: bool) -> None:
    with unit_of_work() as session:
        _, actor = company_actor(session, company)
        item = get_item_by_code(session, actor, code)
        update_item(session, actor, item.id, {"is_active": active})
    console.print(f"{'restored' if active else 'archived'} item {code.strip()}")


CodeArg = typer.Argument(..., help="The item's code")


@app.command("archive")
def archive(company: str = COMPANY_OPTION, code: str = CodeArg) -> None:
    """Archive an item: no new line may name it; lines already written keep what they took."""
    _set_active(company, code, False)


@app.command("restore")
def restore(company: str = COMPANY_OPTION, code: str = CodeArg) -> None:
    """Make an archived item usable again."""
    _set_active(company, code, True)
