"""Posting: balanced entries land, anything else is refused and leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.errors import InvalidState, NotFound, ValidationFailed
from newledger.identity.services import create_company
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.models import AccountBalance, AccountDailyBalance, JournalEntry, JournalLine
from newledger.ledger.posting import LineSpec, post_entry, rebuild_daily_balances, reverse_entry

DAY = dt.date(2026, 3, 14)


def _books(session: Session) -> tuple[int, dict[str, int]]:
    company = create_company(session, name="Acme", slug="acme")
    accounts = create_standard_chart(session, company)
    return company.id, {code: a.id for code, a in accounts.items()}


def _count(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
        session.scalar(select(func.count()).select_from(JournalLine)) or 0,
    )


def test_balanced_entry_posts_and_updates_daily_totals(session: Session) -> None:
    cid, acc = _books(session)
    post_entry(
        session,
        company_id=cid,
        date=DAY,
        source_type="manual",
        lines=[LineSpec(acc["6500"], 12_50, "USD"), LineSpec(acc["1000"], -12_50, "USD")],
    )
    session.commit()
    assert _count(session) == (1, 2)
    rows = {r.account_id: (r.debit, r.credit) for r in session.scalars(select(AccountDailyBalance))}
    assert rows == {acc["6500"]: (1250, 0), acc["1000"]: (0, 1250)}


def test_unbalanced_entry_is_refused_and_nothing_is_written(session: Session) -> None:
    cid, acc = _books(session)
    session.commit()
    with pytest.raises(ValidationFailed, match="does not balance"):
        post_entry(
            session,
            company_id=cid,
            date=DAY,
            source_type="manual",
            lines=[LineSpec(acc["6500"], 1000, "USD"), LineSpec(acc["1000"], -999, "USD")],
        )
    session.rollback()
    assert _count(session) == (0, 0)


def test_unknown_account_is_refused(session: Session) -> None:
    cid, acc = _books(session)
    with pytest.raises(NotFound, match="Unknown account"):
        post_entry(
            session,
            company_id=cid,
            date=DAY,
            source_type="manual",
            lines=[LineSpec(acc["6500"], 1000, "USD"), LineSpec(999_999, -1000, "USD")],
        )


def test_posted_entry_cannot_be_edited_or_deleted(session: Session) -> None:
    cid, acc = _books(session)
    entry = post_entry(
        session,
        company_id=cid,
        date=DAY,
        source_type="manual",
        lines=[LineSpec(acc["6500"], 1000, "USD"), LineSpec(acc["1000"], -1000, "USD")],
    )
    session.commit()
    entry.memo = "changed"
    with pytest.raises(InvalidState, match="immutable"):
        session.flush()
    session.rollback()
    line = session.scalars(select(JournalLine)).first()
    assert line is not None
    session.delete(line)
    with pytest.raises(InvalidState):
        session.flush()
    session.rollback()


def test_reversal_nets_to_zero_and_cannot_repeat(session: Session) -> None:
    cid, acc = _books(session)
    entry = post_entry(
        session,
        company_id=cid,
        date=DAY,
        source_type="manual",
        lines=[LineSpec(acc["6500"], 1000, "USD"), LineSpec(acc["1000"], -1000, "USD")],
    )
    reverse_entry(session, entry, date=DAY, memo="undo")
    session.commit()
    net = session.scalar(
        select(func.sum(JournalLine.amount)).where(JournalLine.account_id == acc["6500"])
    )
    assert net == 0
    with pytest.raises(InvalidState, match="already reversed"):
        reverse_entry(session, entry, date=DAY, memo="again")


def test_daily_totals_rebuild_from_lines_matches_incremental(session: Session) -> None:
    cid, acc = _books(session)
    for i in range(5):
        post_entry(
            session,
            company_id=cid,
            date=DAY + dt.timedelta(days=i % 2),
            source_type="manual",
            lines=[LineSpec(acc["6500"], 100 + i, "USD"), LineSpec(acc["1000"], -100 - i, "USD")],
        )
    session.commit()

    def snapshot() -> set[tuple[int, str, dt.date | None, int, int]]:
        daily = {
            (r.account_id, r.currency, r.day, r.debit, r.credit)
            for r in session.scalars(select(AccountDailyBalance))
        }
        totals = {
            (r.account_id, r.currency, None, r.debit, r.credit)
            for r in session.scalars(select(AccountBalance))
        }
        return daily | totals

    before = snapshot()
    # The totals are the sums of the daily rows (the 6500 account has five debits).
    assert (acc["6500"], "USD", None, sum(100 + i for i in range(5)), 0) in before
    rebuild_daily_balances(session, cid)
    session.commit()
    assert snapshot() == before
