"""`newledger db verify`: clean on the demo books, and every kind of drift is reported.

Each test loads the demo, corrupts one figure behind the services' back (raw SQL: posted entries
refuse ORM edits), and checks that ``verify_books`` names it and that the command exits 1.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from newledger.demo import load_demo
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.models import (
    Account,
    AccountDailyBalance,
    BankTransaction,
    Expense,
    Invoice,
    JournalEntry,
    JournalLine,
)
from newledger.ledger.posting import LineSpec, add_to_daily_balances, post_entry
from newledger.ledger.verify import Drift, verify_books
from tests.conftest import IS_PG

AS_OF = dt.date(2026, 3, 14)


@pytest.fixture
def demo(session: Session) -> int:
    result = load_demo(session, as_of=AS_OF)
    assert result is not None
    session.commit()
    return result.company_id


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
        "COLUMNS": "250",
    }


def verify_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "db", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_cli_reports(env: dict[str, str], *needles: str) -> None:
    proc = verify_cli(env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "northwind" in proc.stdout
    for needle in needles:
        assert needle in proc.stdout
    assert "drift:" in proc.stderr


def kinds(drifts: list[Drift]) -> list[tuple[str, str]]:
    return [(d.kind, d.subject) for d in drifts]


def account_label(session: Session, company_id: int, subtype: str) -> tuple[int, str]:
    account = account_by_subtype(session, company_id, subtype)
    return account.id, f"account {account.code} {account.name}"


def invoice_with(session: Session, company_id: int, status: str) -> Invoice:
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.company_id == company_id, Invoice.status == status)
        .order_by(Invoice.id)
        .limit(1)
    )
    assert invoice is not None
    return invoice


def test_the_demo_books_verify_clean(session: Session, demo: int, env: dict[str, str]) -> None:
    assert verify_books(session) == []
    proc = verify_cli(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    assert f"books verified: 1 company, {entries} entries, no drift" in proc.stdout


def test_a_daily_balance_off_by_one_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    ar, label = account_label(session, demo, "accounts_receivable")
    day = session.scalar(
        select(func.min(AccountDailyBalance.day)).where(
            AccountDailyBalance.company_id == demo, AccountDailyBalance.account_id == ar
        )
    )
    session.execute(
        text(
            "UPDATE account_daily_balances SET debit = debit + 1"
            " WHERE company_id = :c AND account_id = :a AND day = :d"
        ),
        {"c": demo, "a": ar, "d": day},
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("daily_balance", label)
    assert day is not None and day.isoformat() in drift.message
    assert drift.expected != drift.actual
    assert_cli_reports(env, label, "daily_balance")


def test_a_missing_daily_balance_row_is_reported(session: Session, demo: int) -> None:
    cash, label = account_label(session, demo, "bank")
    day = session.scalar(
        select(func.max(AccountDailyBalance.day)).where(AccountDailyBalance.account_id == cash)
    )
    session.execute(
        text("DELETE FROM account_daily_balances WHERE account_id = :a AND day = :d"),
        {"a": cash, "d": day},
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("daily_balance", label)
    assert "no daily balance row" in drift.message


def test_an_account_total_off_by_one_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    cash, label = account_label(session, demo, "bank")
    session.execute(
        text("UPDATE account_balances SET credit = credit + 1 WHERE account_id = :a"), {"a": cash}
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("account_total", label)
    assert "the account total row differs from its journal lines" in drift.message
    assert drift.expected != drift.actual
    assert_cli_reports(env, label, "account_total")


def test_a_missing_account_total_is_reported(session: Session, demo: int) -> None:
    ar, label = account_label(session, demo, "accounts_receivable")
    session.execute(text("DELETE FROM account_balances WHERE account_id = :a"), {"a": ar})
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("account_total", label)
    assert "no account total row" in drift.message


@pytest.mark.skipif(IS_PG, reason="PostgreSQL's BIGINT column cannot hold a REAL")
def test_a_daily_balance_that_overflowed_into_real_on_sqlite_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    ar, label = account_label(session, demo, "accounts_receivable")
    # What the upsert did before amounts were bounded: SQLite turns an overflowing sum into REAL.
    # (Books from before migration 0002; its CHECK constraint now refuses such a row.)
    session.execute(text("PRAGMA ignore_check_constraints = ON"))
    session.execute(
        text(
            "UPDATE account_daily_balances SET debit = debit + 9223372036854775807"
            " WHERE company_id = :c AND account_id = :a AND debit > 0"
            " AND day = (SELECT MIN(day) FROM account_daily_balances"
            "            WHERE company_id = :c AND account_id = :a AND debit > 0)"
        ),
        {"c": demo, "a": ar},
    )
    session.execute(text("PRAGMA ignore_check_constraints = OFF"))  # the same connection
    session.commit()
    assert session.scalar(
        text("SELECT count(*) FROM account_daily_balances WHERE typeof(debit) = 'real'")
    )
    drifts = verify_books(session)
    assert sorted(kinds(drifts)) == [("daily_balance", label), ("not_integer", label)]
    [real] = [d for d in drifts if d.kind == "not_integer"]
    assert "not an integer" in real.message
    assert_cli_reports(env, label, "not_integer")


def test_an_invoice_total_that_differs_from_its_lines_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    draft = invoice_with(session, demo, "draft")
    session.execute(text("UPDATE invoices SET total = total + 1 WHERE id = :i"), {"i": draft.id})
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("document_total", f"invoice {draft.number}")
    assert_cli_reports(env, f"invoice {draft.number}", "document_total")


def test_an_expense_total_that_differs_from_its_lines_is_reported(
    session: Session, demo: int
) -> None:
    expense_id, kind = session.execute(
        text(
            "SELECT id, kind FROM expenses WHERE company_id = :c AND status = 'draft'"
            " ORDER BY id LIMIT 1"
        ),
        {"c": demo},
    ).one()
    session.execute(text("UPDATE expenses SET total = total - 1 WHERE id = :i"), {"i": expense_id})
    session.commit()
    assert kinds(verify_books(session)) == [("document_total", f"{kind} #{expense_id}")]


def test_a_wrong_amount_paid_is_reported(session: Session, demo: int, env: dict[str, str]) -> None:
    invoice = invoice_with(session, demo, "partially_paid")
    session.execute(
        text("UPDATE invoices SET amount_paid = amount_paid + 1 WHERE id = :i"), {"i": invoice.id}
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("amount_paid", f"invoice {invoice.number}")
    assert drift.actual != drift.expected
    assert_cli_reports(env, f"invoice {invoice.number}", "amount_paid")


def test_a_status_that_does_not_follow_from_the_payments_is_reported(
    session: Session, demo: int
) -> None:
    invoice = invoice_with(session, demo, "partially_paid")
    session.execute(text("UPDATE invoices SET status = 'paid' WHERE id = :i"), {"i": invoice.id})
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("status", f"invoice {invoice.number}")
    assert (drift.expected, drift.actual) == ("partially_paid", "paid")


@pytest.fixture
def without_unique_postings(sessions: sessionmaker[Session]) -> Iterator[list[int]]:
    """Books written before one posting per source was a unique index: drop any unique index on
    journal_entries for the test, and put it back (without the test's extra entries) after."""
    dialect = sessions.kw["bind"].dialect.name
    query = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'journal_entries'"
        " AND indexdef LIKE 'CREATE UNIQUE INDEX%'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        if dialect == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        " AND tbl_name = 'journal_entries' AND sql LIKE 'CREATE UNIQUE INDEX%'"
    )
    extra: list[int] = []
    with sessions() as session:
        indexes = session.execute(text(query)).all()
        for name, _ in indexes:
            session.execute(text(f'DROP INDEX "{name}"'))
        session.commit()
    yield extra
    with sessions() as session:
        for entry_id in extra:
            session.execute(text("DELETE FROM journal_lines WHERE entry_id = :e"), {"e": entry_id})
            session.execute(text("DELETE FROM journal_entries WHERE id = :e"), {"e": entry_id})
        for _, definition in indexes:
            session.execute(text(definition))
        session.commit()


def test_a_second_posting_of_one_invoice_is_reported(
    session: Session, demo: int, env: dict[str, str], without_unique_postings: list[int]
) -> None:
    """What two racing approvals did: the invoice names one entry, the other goes unreversed."""
    invoice = invoice_with(session, demo, "approved")
    lines = session.scalars(
        select(JournalLine).where(JournalLine.entry_id == invoice.journal_entry_id)
    ).all()
    second = post_entry(
        session,
        company_id=demo,
        date=invoice.issue_date,
        lines=[LineSpec(ln.account_id, ln.amount, ln.currency, ln.contact_id) for ln in lines],
        source_type="invoice",
        source_id=invoice.id,
    )
    without_unique_postings.append(second.id)
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("posting", f"invoice {invoice.number}")
    assert drift.actual == "2 original postings"
    assert_cli_reports(env, f"invoice {invoice.number}", "posted more than once")


def test_an_invoice_naming_another_invoices_entry_is_reported(session: Session, demo: int) -> None:
    first, other = session.scalars(
        select(Invoice)
        .where(Invoice.company_id == demo, Invoice.status == "approved")
        .order_by(Invoice.id)
        .limit(2)
    ).all()
    session.execute(
        text("UPDATE invoices SET journal_entry_id = :e WHERE id = :i"),
        {"e": other.journal_entry_id, "i": first.id},
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("posting", f"invoice {first.number}")
    assert f"invoice #{other.id}" in drift.actual


def test_a_document_posted_on_another_day_than_its_own_date_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    """The sales tax report dates a document's tax by the document's own date, which is the
    day the services post it on; an edit behind their back that moves one apart is named."""
    invoice = invoice_with(session, demo, "approved")
    expense = session.scalars(
        select(Expense)
        .where(Expense.company_id == demo, Expense.kind == "expense", Expense.status == "paid")
        .order_by(Expense.id)
        .limit(1)
    ).one()
    day = dt.timedelta(days=1)
    session.execute(
        text("UPDATE invoices SET issue_date = :d WHERE id = :i"),
        {"d": invoice.issue_date + day, "i": invoice.id},
    )
    session.execute(
        text("UPDATE expenses SET date = :d WHERE id = :i"),
        {"d": expense.date - day, "i": expense.id},
    )
    session.commit()
    drifts = verify_books(session)
    assert sorted(kinds(drifts)) == sorted(
        [("posting", f"invoice {invoice.number}"), ("posting", f"expense #{expense.id}")]
    )
    by_subject = {d.subject: d for d in drifts}
    moved = by_subject[f"invoice {invoice.number}"]
    assert moved.expected == f"posted on its date, {(invoice.issue_date + day).isoformat()}"
    assert moved.actual == (
        f"journal entry #{invoice.journal_entry_id} dated {invoice.issue_date.isoformat()}"
    )
    assert_cli_reports(env, f"invoice {invoice.number}", "posted on another day")


def test_a_voided_invoice_without_its_reversal_and_a_posted_draft_are_reported(
    session: Session, demo: int
) -> None:
    voided = invoice_with(session, demo, "voided")
    draft = invoice_with(session, demo, "draft")
    approved = invoice_with(session, demo, "approved")
    session.execute(
        text("UPDATE invoices SET void_entry_id = NULL WHERE id = :i"), {"i": voided.id}
    )
    session.execute(
        text("UPDATE invoices SET journal_entry_id = :e WHERE id = :i"),
        {"e": approved.journal_entry_id, "i": draft.id},
    )
    session.commit()
    drifts = verify_books(session)
    assert sorted(kinds(drifts)) == sorted(
        [("posting", f"invoice {voided.number}"), ("posting", f"invoice {draft.number}")]
    )
    messages = {d.subject: d.message for d in drifts}
    assert "not reversed exactly once" in messages[f"invoice {voided.number}"]
    assert messages[f"invoice {draft.number}"] == "a draft document is posted"


def test_an_unbalanced_entry_inserted_behind_the_service_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    cash = account_by_subtype(session, demo, "bank").id
    income = session.scalars(
        select(Account.id).where(Account.company_id == demo, Account.type == "income")
    ).first()
    assert income is not None
    day = dt.date(2026, 2, 2)
    entry_id = session.scalars(
        insert(JournalEntry)
        .values(company_id=demo, date=day, memo="off by a cent", source_type="manual")
        .returning(JournalEntry.id)
    ).one()
    moves = [(cash, 10_000), (income, -9_999)]
    session.execute(
        insert(JournalLine),
        [
            {
                "company_id": demo,
                "entry_id": entry_id,
                "account_id": account,
                "date": day,
                "currency": "USD",
                "amount": amount,
            }
            for account, amount in moves
        ],
    )
    # The daily balances follow the lines, so the entry itself is the only drift.
    add_to_daily_balances(session, demo, ((a, "USD", day, amount) for a, amount in moves))
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("unbalanced_entry", f"journal entry #{entry_id}")
    assert drift.actual == "0.01 USD"
    assert_cli_reports(env, f"journal entry #{entry_id}", "unbalanced_entry")


def test_company_narrows_the_check_to_one_company(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    other = load_demo(session, as_of=AS_OF, slug="southwind", seed=7)
    assert other is not None
    draft = invoice_with(session, demo, "draft")
    session.execute(text("UPDATE invoices SET total = total + 1 WHERE id = :i"), {"i": draft.id})
    session.commit()
    assert verify_books(session, other.company_id) == []
    assert [d.company for d in verify_books(session)] == ["northwind"]
    clean = verify_cli(env, "--company", "southwind")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "books verified: 1 company" in clean.stdout
    assert verify_cli(env, "--company", "northwind").returncode == 1
    unknown = verify_cli(env, "--company", "nowhere")
    assert unknown.returncode == 1 and "nowhere" in unknown.stderr


def test_a_posting_for_a_document_that_does_not_exist_is_reported(
    session: Session, demo: int
) -> None:
    cash = account_by_subtype(session, demo, "bank").id
    ap = account_by_subtype(session, demo, "accounts_payable").id
    entry = post_entry(
        session,
        company_id=demo,
        date=dt.date(2026, 2, 2),
        lines=[LineSpec(ap, 500, "USD"), LineSpec(cash, -500, "USD")],
        source_type="expense",
        source_id=987_654,
    )
    session.commit()
    [drift] = verify_books(session)
    assert (drift.kind, drift.subject) == ("posting", f"journal entry #{entry.id}")
    assert drift.expected == "expense #987654 of this company"


def test_a_line_dated_apart_from_its_entry_is_reported(session: Session, demo: int) -> None:
    line_id, entry_id = session.execute(
        select(JournalLine.id, JournalLine.entry_id)
        .where(JournalLine.company_id == demo)
        .order_by(JournalLine.id.desc())
        .limit(1)
    ).one()
    session.execute(
        text("UPDATE journal_lines SET date = :d WHERE id = :i"),
        {"d": dt.date(2020, 1, 1), "i": line_id},
    )
    session.commit()
    drifts = verify_books(session)
    assert ("entry_lines", f"journal entry #{entry_id}") in kinds(drifts)
    # The daily balances follow the line's own date, so two days now disagree with them.
    assert [d.kind for d in drifts].count("daily_balance") == 2


def test_a_bank_line_categorized_without_its_posting_or_posted_while_uncategorized_is_reported(
    session: Session, demo: int, env: dict[str, str]
) -> None:
    categorized = session.scalar(
        select(BankTransaction)
        .where(BankTransaction.company_id == demo, BankTransaction.status == "categorized")
        .order_by(BankTransaction.id)
        .limit(1)
    )
    assert categorized is not None, "the demo categorizes some bank lines"
    # A line marked categorized whose posting was never written (the entry it names is another's).
    other_entry = session.scalar(
        select(JournalEntry.id).where(
            JournalEntry.company_id == demo, JournalEntry.source_type == "invoice"
        )
    )
    session.execute(
        text("UPDATE bank_transactions SET journal_entry_id = :e WHERE id = :t"),
        {"e": other_entry, "t": categorized.id},
    )
    session.commit()
    drifts = verify_books(session)
    assert kinds(drifts) == [("posting", f"bank line #{categorized.id}")]
    assert "journal entry" in drifts[0].actual
    assert_cli_reports(env, f"bank line #{categorized.id}")


def test_an_uncategorized_bank_line_with_a_posting_is_reported(session: Session, demo: int) -> None:
    line = session.scalar(
        select(BankTransaction)
        .where(BankTransaction.company_id == demo, BankTransaction.status == "uncategorized")
        .order_by(BankTransaction.id)
        .limit(1)
    )
    assert line is not None, "the demo leaves some bank lines to categorize"
    cash, _ = account_label(session, demo, "bank")
    fees = session.scalar(
        select(Account.id).where(Account.company_id == demo, Account.type == "expense").limit(1)
    )
    assert fees is not None
    post_entry(
        session,
        company_id=demo,
        date=line.date,
        lines=[
            LineSpec(cash, line.amount, line.currency),
            LineSpec(fees, -line.amount, line.currency),
        ],
        source_type="bank",
        source_id=line.id,
    )
    session.commit()
    drifts = verify_books(session)
    assert kinds(drifts) == [("posting", f"bank line #{line.id}")]
    assert drifts[0].message == "an unposted bank line has a posting"
