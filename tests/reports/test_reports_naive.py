"""Reports agree with a naive computation straight from journal lines.

Reports read the daily-balance table that posting maintains; recomputing everything from
``journal_lines`` here proves that table (and the reports' folding of it) is right.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.ledger import reports
from newledger.ledger.models import Account, JournalLine
from tests.support.reports_books import Books, D, random_books


def _lines(b: Books) -> list[tuple[int, str, dt.date, int]]:
    return [
        (a, c, d, amt)
        for a, c, d, amt in b.session.execute(
            select(
                JournalLine.account_id, JournalLine.currency, JournalLine.date, JournalLine.amount
            ).where(JournalLine.company_id == b.cid)
        )
    ]


def _types(b: Books) -> dict[int, tuple[str, str]]:
    return {
        i: (t, s)
        for i, t, s in b.session.execute(
            select(Account.id, Account.type, Account.subtype).where(Account.company_id == b.cid)
        )
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reports_agree_with_a_naive_sum_of_journal_lines(session: Session, seed: int) -> None:
    b = random_books(session, seed)
    lines = _lines(b)
    types = _types(b)
    for as_of in (D(2023, 3, 15), D(2024, 2, 29), D(2025, 12, 31)):
        naive: dict[tuple[int, str], int] = defaultdict(int)
        for a, c, d, amt in lines:
            if d <= as_of:
                naive[(a, c)] += amt
        tb = reports.trial_balance(session, b.actor, b.cid, as_of)
        assert {(r.account_id, r.currency): r.balance for r in tb.rows if r.balance} == {
            k: v for k, v in naive.items() if v
        }
        assert tb.balanced

        sheet = reports.balance_sheet(session, b.actor, b.cid, as_of)
        assert sheet.balanced
        naive_assets = sum(
            v for (a, c), v in naive.items() if c == "USD" and types[a][0] == "asset"
        )
        assert sheet.assets.total == naive_assets
        fy = sheet.fiscal_year_start
        naive_current = -sum(
            amt
            for a, c, d, amt in lines
            if c == "USD" and fy <= d <= as_of and types[a][0] in ("income", "expense")
        )
        assert sheet.current_year_earnings == naive_current

    start, end = D(2023, 7, 1), D(2024, 6, 30)
    pnl = reports.profit_and_loss(session, b.actor, b.cid, start, end, compare=1)
    for i, p in enumerate(pnl.periods):
        assert pnl.net_income[i] == -sum(
            amt
            for a, c, d, amt in lines
            if c == "USD" and p.start <= d <= p.end and types[a][0] in ("income", "expense")
        )

    exp = reports.expenses_by_category(session, b.actor, b.cid, start, end)
    naive_months: dict[str, int] = defaultdict(int)
    for a, c, d, amt in lines:
        if c == "USD" and start <= d <= end and types[a][0] == "expense":
            naive_months[f"{d.year:04d}-{d.month:02d}"] += amt
    assert dict(zip(exp.months, exp.totals, strict=True)) == {
        m: naive_months.get(m, 0) for m in exp.months
    }

    cash = reports.cash_position(session, b.actor, b.cid, start, end)
    for acc in cash.accounts:
        mine = [(d, amt) for a, c, d, amt in lines if a == acc.account_id and c == acc.currency]
        assert acc.opening == sum(amt for d, amt in mine if d < start)
        assert acc.money_in == sum(amt for d, amt in mine if start <= d <= end and amt > 0)
        assert acc.money_out == -sum(amt for d, amt in mine if start <= d <= end and amt < 0)
        assert acc.closing == sum(amt for d, amt in mine if d <= end)
