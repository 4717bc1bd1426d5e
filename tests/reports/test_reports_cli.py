"""`newledger report ... --json` and `newledger export`, run as real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from tests.support.books import make_books as make_service_books
from tests.support.ledger_cli import ledger_balances, needs_ledger, trial_balances
from tests.support.reports_books import D, make_books
from tests.support.taxed_books import Taxed, apply_operation
from tests.support.taxed_operations import CREDIT_SCENE


@pytest.fixture
def books_db(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> dict[str, str]:
    with sessions() as session:
        b = make_books(session, "cli-co")
        b.post(D(2024, 1, 1), ("1000", 500_000), ("3000", -500_000))
        inv = b.invoice("Globex", D(2024, 1, 5), D(2024, 2, 4), 120_000)
        b.receive(inv, D(2024, 2, 1), 20_000)
        b.bill("Staples", D(2024, 1, 7), D(2024, 1, 21), 4_550)
        b.post(D(2024, 2, 3), ("6700", 90_000), ("1000", -90_000))
        session.commit()
    return {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
    }


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def report_json(env: dict[str, str], *args: str) -> Any:
    proc = run(env, "report", *args, "--company", "cli-co", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_report_json_for_every_report(books_db: dict[str, str]) -> None:
    sheet = report_json(books_db, "balance-sheet", "--as-of", "2024-03-31")
    assert sheet["balanced"] is True
    assert sheet["total_assets"] == sheet["total_liabilities_and_equity"] == "5300.00"

    tb = report_json(books_db, "trial-balance", "--as-of", "2024-03-31")
    assert tb["balanced"] is True
    assert tb["totals"] == [
        {"currency": "USD", "debit": "6245.50", "credit": "6245.50", "difference": "0.00"}
    ]

    ar = report_json(books_db, "ar-aging", "--as-of", "2024-03-31")
    assert ar["totals"]["31_60"] == "1000.00"
    assert ar["contacts"][0]["name"] == "Globex"
    ap = report_json(books_db, "ap-aging", "--as-of", "2024-03-31")
    assert ap["totals"]["61_90"] == "45.50"

    pnl = report_json(
        books_db, "pnl", "--from", "2024-02-01", "--to", "2024-02-29", "--compare", "1"
    )
    assert pnl["net_income"] == ["-900.00", "1154.50"]

    cash = report_json(books_db, "cash", "--from", "2024-01-01", "--to", "2024-03-31")
    assert cash["totals"][0]["closing"] == "4300.00"

    exp = report_json(books_db, "expenses", "--from", "2024-01-01", "--to", "2024-02-29")
    assert exp["totals"] == {"2024-01": "45.50", "2024-02": "900.00"}


def test_report_tables_print_by_default(books_db: dict[str, str]) -> None:
    proc = run(
        books_db,
        "report",
        "pnl",
        "--company",
        "cli-co",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Net income" in proc.stdout and "254.50" in proc.stdout


def test_an_unknown_company_or_bad_date_is_a_clear_error(books_db: dict[str, str]) -> None:
    proc = run(books_db, "report", "trial-balance", "--company", "nope")
    assert proc.returncode == 1 and "No company 'nope'" in proc.stderr
    proc = run(books_db, "report", "trial-balance", "--company", "cli-co", "--as-of", "31/01/2024")
    assert proc.returncode == 2 and "--as-of must be a date" in proc.stderr


@pytest.mark.skipif(shutil.which("ledger") is None, reason="ledger-cli is not installed")
def test_export_piped_into_ledger_bal_matches_the_trial_balance(
    books_db: dict[str, str], tmp_path: Path
) -> None:
    proc = run(books_db, "export", "--company", "cli-co", "--format", "ledger")
    assert proc.returncode == 0, proc.stderr
    bal = subprocess.run(
        ["ledger", "-f", "-", "bal", "--flat", "--no-total"],
        input=proc.stdout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = {
        line.split("USD", 1)[1].strip(): line.split("USD", 1)[0].strip()
        for line in bal.splitlines()
    }
    tb = report_json(books_db, "trial-balance")
    names = {
        "1000": "Assets:Business Checking",
        "1100": "Assets:Accounts Receivable",
        "2000": "Liabilities:Accounts Payable",
        "3000": "Equity:Owner's Equity",
        "4000": "Income:Sales",
        "6500": "Expenses:Office Supplies",
        "6700": "Expenses:Rent",
    }
    expected = {names[r["code"]]: r["balance"] for r in tb["rows"] if r["balance"] != "0.00"}
    assert rows == expected

    out = tmp_path / "books.ledger"
    proc = run(books_db, "export", "--company", "cli-co", "--output", str(out))
    assert proc.returncode == 0 and "wrote 5 transactions" in proc.stderr
    assert out.read_text() == run(books_db, "export", "--company", "cli-co").stdout


@needs_ledger
def test_the_export_of_taxed_books_with_credit_notes_and_refunds_agrees_to_the_cent(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        books = make_service_books(session, "credit-co")
        taxed = Taxed(session, books)
        for op in CREDIT_SCENE:
            apply_operation(session, taxed, op)
        cid = books.company_id
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
    }
    out = tmp_path / "credit.ledger"
    proc = run(env, "export", "--company", "credit-co", "--format", "ledger", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 9 transactions" in proc.stderr
    with sessions() as session:
        expected = trial_balances(session, Actor.system(cid), cid, D(2100, 1, 1))
    assert ledger_balances(out) == expected
    assert ("Liabilities:Sales Tax Payable", "USD") in expected  # taxed, and the tax came back
