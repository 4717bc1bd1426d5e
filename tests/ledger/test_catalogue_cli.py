"""``newledger tax-rates`` and ``newledger items`` through typer's CliRunner, on the test database:
the same services as the UI, as the system actor labelled ``cli``, with rich tables, ``--json``,
and a clear error (exit 1) that leaves nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.cli.common import console, err_console
from newledger.cli.main import app
from newledger.ledger.models import Item, TaxRate
from tests.support.books import Books, make_books

SLUG = "cli-co"


@pytest.fixture
def books(sessions: sessionmaker[Session]) -> Books:
    with sessions.begin() as session:
        return make_books(session, slug=SLUG)


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough that rich folds no cell. The consoles took their width from COLUMNS
    when imported (80 under pytest-xdist), so the width is set on them, and put back after."""
    for out in (console, err_console):
        monkeypatch.setattr(out, "_width", 200)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> Result:
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def _cli_events(sessions: sessionmaker[Session], subject: str) -> list[str]:
    with sessions() as s:
        rows = s.scalars(
            select(Activity).where(Activity.subject_type == subject).order_by(Activity.id)
        )
        return [f"{a.event} {a.actor_label}" for a in rows]


def test_tax_rates_are_added_listed_archived_and_restored(
    sessions: sessionmaker[Session], books: Books
) -> None:
    made = as_json(
        "tax-rates", "add", "--company", SLUG, "--name", "CA sales tax", "--rate", "7.25"
    )
    assert (made["name"], made["rate"], made["kind"]) == ("CA sales tax", "7.25", "sales")
    assert made["account_id"] == books.acct("2200")  # Sales Tax Payable, by default
    vat = as_json(
        "tax-rates", "add", "--company", SLUG, "--name", "VAT", "--rate", "20",
        "--kind", "purchase",
    )  # fmt: skip
    both = as_json(
        "tax-rates", "add", "--company", SLUG, "--name", "GST", "--rate", "5",
        "--kind", "both", "--account", "2200",
    )  # fmt: skip
    assert vat["account_id"] != made["account_id"] and both["account_id"] == books.acct("2200")
    listed = ok("tax-rates", "list", "--company", SLUG).stdout
    assert "CA sales tax" in listed and "7.25%" in listed and "2200 " in listed
    assert "Input Tax Recoverable" in listed  # where purchase tax goes, added when first needed
    purchase = as_json("tax-rates", "list", "--company", SLUG, "--kind", "purchase")
    assert [r["name"] for r in purchase] == ["GST", "VAT"]

    archived = ok("tax-rates", "archive", "--company", SLUG, "CA sales tax")
    assert "archived tax rate CA sales tax (7.25%)" in archived.stdout
    assert [r["name"] for r in as_json("tax-rates", "list", "--company", SLUG)] == ["GST", "VAT"]
    every = as_json("tax-rates", "list", "--company", SLUG, "--all")
    assert [(r["name"], r["is_active"]) for r in every] == [
        ("CA sales tax", False),
        ("GST", True),
        ("VAT", True),
    ]
    ok("tax-rates", "restore", "--company", SLUG, str(made["id"]))
    active = as_json("tax-rates", "list", "--company", SLUG)
    assert [r["name"] for r in active] == ["CA sales tax", "GST", "VAT"]
    assert _cli_events(sessions, "tax_rate") == [
        *[f"{Event.TAX_RATE_CREATED} cli"] * 3,
        f"{Event.TAX_RATE_ARCHIVED} cli",
        f"{Event.TAX_RATE_UPDATED} cli",
    ]


def test_a_refused_tax_rate_says_why_and_stores_nothing(
    sessions: sessionmaker[Session], books: Books
) -> None:
    too_high = cli("tax-rates", "add", "--company", SLUG, "--name", "Odd", "--rate", "120")
    assert too_high.exit_code == 1 and "rate is a percentage" in too_high.stderr
    bank = cli(
        "tax-rates", "add", "--company", SLUG, "--name", "VAT", "--rate", "20", "--account", "1000"
    )
    assert bank.exit_code == 1 and "cannot hold tax" in bank.stderr
    unknown = cli("tax-rates", "archive", "--company", SLUG, "No such rate")
    assert unknown.exit_code == 1 and "No tax rate named 'No such rate'" in unknown.stderr
    assert cli("tax-rates", "list", "--company", "nowhere").exit_code == 1
    with sessions() as s:
        assert s.scalars(select(TaxRate)).all() == []


def test_items_are_added_listed_searched_and_archived(
    sessions: sessionmaker[Session], books: Books
) -> None:
    ok("tax-rates", "add", "--company", SLUG, "--name", "State tax", "--rate", "7.25")
    made = as_json(
        "items",
        "add",
        "--company",
        SLUG,
        "--code",
        "HOST-M",
        "--name",
        "Hosting, monthly",
        "--price",
        "49.99",
        "--income-account",
        "4100",
        "--tax-rate",
        "State tax",
    )
    assert (made["code"], made["unit_price"], made["income_account_id"]) == (
        "HOST-M",
        "49.99",
        books.acct("4100"),
    )
    ok("items", "add", "--company", SLUG, "--code", "PAPER", "--name", "Printer paper",
       "--expense-account", "6500")  # fmt: skip
    table = ok("items", "list", "--company", SLUG).stdout
    assert "HOST-M" in table and "49.99" in table and "State tax (7.25%)" in table
    assert "6500" in table
    found = as_json("items", "list", "--company", SLUG, "--search", "host")
    assert [i["code"] for i in found] == ["HOST-M"]

    assert "archived item HOST-M" in ok("items", "archive", "--company", SLUG, "HOST-M").stdout
    assert [i["code"] for i in as_json("items", "list", "--company", SLUG)] == ["PAPER"]
    every = as_json("items", "list", "--company", SLUG, "--all")
    assert [(i["code"], i["is_active"]) for i in every] == [("HOST-M", False), ("PAPER", True)]
    ok("items", "restore", "--company", SLUG, "HOST-M")
    assert _cli_events(sessions, "item") == [
        f"{Event.ITEM_CREATED} cli",
        f"{Event.ITEM_CREATED} cli",
        f"{Event.ITEM_ARCHIVED} cli",
        f"{Event.ITEM_UPDATED} cli",
    ]


def test_a_refused_item_says_why_and_stores_nothing(
    sessions: sessionmaker[Session], books: Books
) -> None:
    ok("items", "add", "--company", SLUG, "--code", "A1", "--name", "Widget")
    taken = cli("items", "add", "--company", SLUG, "--code", "A1", "--name", "Other")
    assert taken.exit_code == 1 and "An item with code 'A1' exists" in taken.stderr
    wrong = cli(
        "items", "add", "--company", SLUG, "--code", "B2", "--name", "B", "--income-account", "6500"
    )
    assert wrong.exit_code == 1 and "is not an income account" in wrong.stderr
    no_rate = cli("items", "add", "--company", SLUG, "--code", "C3", "--name", "C",
                  "--tax-rate", "Nope")  # fmt: skip
    assert no_rate.exit_code == 1 and "No tax rate named 'Nope'" in no_rate.stderr
    unknown = cli("items", "archive", "--company", SLUG, "ZZZ")
    assert unknown.exit_code == 1 and "No item with code 'ZZZ'" in unknown.stderr
    with sessions() as s:
        assert [i.code for i in s.scalars(select(Item))] == ["A1"]
