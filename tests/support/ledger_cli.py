"""The real ledger-cli (Debian package ``ledger``) reading an export: balances per account and
currency, and the trial balance's to compare with."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.ledger import reports
from newledger.ledger.export import ledger_account_names
from newledger.money import parse_amount

__all__ = ["LEDGER", "ledger_balances", "needs_ledger", "trial_balances"]

LEDGER = shutil.which("ledger")
needs_ledger = pytest.mark.skipif(
    LEDGER is None, reason="ledger-cli is not installed (Debian package `ledger`)"
)


def ledger_balances(path: Path) -> dict[tuple[str, str], int]:
    """(ledger account, currency) -> minor units, read from `ledger bal`."""
    assert LEDGER is not None
    out = subprocess.run(
        [
            LEDGER,
            "-f",
            str(path),
            "bal",
            "--flat",
            "--no-total",
            "--format",
            "%(account)\t%(join(display_total))\n",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[tuple[str, str], int] = {}
    for row in out.splitlines():
        account, amounts = row.split("\t")
        for amount in amounts.split("\\n"):
            qty, cur = amount.split()
            result[(account, cur)] = parse_amount(Decimal(qty), cur)
    return result


def trial_balances(
    session: Session, actor: Actor, company_id: int, as_of: dt.date
) -> dict[tuple[str, str], int]:
    """(ledger account, currency) -> the trial balance's balance at ``as_of``, zeros left out."""
    names = ledger_account_names(session, company_id)
    tb = reports.trial_balance(session, actor, company_id, as_of)
    return {(names[r.account_id], r.currency): r.balance for r in tb.rows if r.balance}
