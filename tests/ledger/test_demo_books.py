"""Demo books: a believable company whose books are real double entry, the same for one seed."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.demo import DEMO_PASSWORDS, load_demo
from newledger.identity.models import Company, Membership, User
from newledger.identity.passwords import verify_password
from newledger.ledger.models import (
    Account,
    AccountDailyBalance,
    BankTransaction,
    Contact,
    CreditNote,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from newledger.ledger.posting import rebuild_daily_balances
from newledger.ledger.reports import ap_aging, ar_aging, trial_balance
from newledger.ledger.verify import verify_books

AS_OF = dt.date(2026, 3, 14)


def _load(session: Session, **kwargs: Any) -> int:
    result = load_demo(session, as_of=AS_OF, **kwargs)
    assert result is not None
    session.commit()
    return result.company_id


def fingerprint(session: Session, company_id: int) -> dict[str, Any]:
    """Row counts, per-account totals and document statuses: equal books give equal prints."""
    counts = {
        model.__tablename__: session.scalar(
            select(func.count()).select_from(model).where(model.company_id == company_id)
        )
        for model in (
            Contact,
            Invoice,
            Expense,
            Payment,
            BankTransaction,
            JournalEntry,
            JournalLine,
        )
    }
    by_account = dict(
        session.execute(
            select(Account.code, func.sum(JournalLine.amount))
            .join(Account, Account.id == JournalLine.account_id)
            .where(JournalLine.company_id == company_id)
            .group_by(Account.code)
        ).all()
    )
    statuses = dict(
        session.execute(
            select(Invoice.status, func.count())
            .where(Invoice.company_id == company_id)
            .group_by(Invoice.status)
        ).all()
    )
    return {"counts": counts, "by_account": by_account, "invoices": statuses}


def test_the_same_seed_and_day_give_the_same_books(session: Session) -> None:
    first = _load(session, slug="north-a")
    second = _load(session, slug="north-b")
    other = _load(session, slug="north-c", seed=7)
    assert fingerprint(session, first) == fingerprint(session, second)
    assert fingerprint(session, first) != fingerprint(session, other)


def test_demo_books_balance_entry_by_entry_and_in_the_balance_sheet(session: Session) -> None:
    cid = _load(session)
    unbalanced = session.scalars(
        select(JournalLine.entry_id)
        .where(JournalLine.company_id == cid)
        .group_by(JournalLine.entry_id, JournalLine.currency)
        .having(func.sum(JournalLine.amount) != 0)
    ).all()
    assert unbalanced == []
    by_type = dict(
        session.execute(
            select(Account.type, func.sum(JournalLine.amount))
            .join(Account, Account.id == JournalLine.account_id)
            .where(JournalLine.company_id == cid)
            .group_by(Account.type)
        ).all()
    )
    assert sum(by_type.values()) == 0  # the trial balance
    assets = by_type["asset"]
    liabilities, equity = -by_type["liability"], -by_type["equity"]
    earnings = -by_type["income"] - by_type["expense"]
    assert assets == liabilities + equity + earnings
    assert assets > 0 and earnings > 0


def test_daily_balances_agree_with_a_rebuild_from_journal_lines(session: Session) -> None:
    cid = _load(session)

    def snapshot() -> set[tuple[Any, ...]]:
        rows = session.execute(
            select(
                AccountDailyBalance.account_id,
                AccountDailyBalance.day,
                AccountDailyBalance.debit,
                AccountDailyBalance.credit,
            ).where(AccountDailyBalance.company_id == cid)
        )
        return {tuple(r) for r in rows}

    loaded = snapshot()
    rebuild_daily_balances(session, cid)
    assert loaded == snapshot()
    assert len(loaded) > 100


def test_the_demo_looks_like_a_real_small_company(session: Session) -> None:
    cid = _load(session)
    invoices = session.scalars(select(Invoice).where(Invoice.company_id == cid)).all()
    statuses = {i.status for i in invoices}
    assert {"paid", "approved", "partially_paid", "draft", "voided"} <= statuses
    overdue = [
        i for i in invoices if i.status in ("approved", "partially_paid") and i.due_date < AS_OF
    ]
    assert len(overdue) >= 3
    for inv in invoices:
        paid = session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == inv.id)
        )
        lines = session.scalar(
            select(func.sum(InvoiceLine.amount + InvoiceLine.tax_amount)).where(
                InvoiceLine.invoice_id == inv.id
            )
        )
        assert paid == inv.amount_paid and lines == inv.total  # tax-exclusive: lines + tax
        assert (inv.journal_entry_id is None) == (inv.status == "draft")
    drafts = session.scalars(
        select(Expense).where(Expense.company_id == cid, Expense.status == "draft")
    ).all()
    assert any(d.source == "api" and d.source_label == "Zapier sync" for d in drafts)
    assert all(d.journal_entry_id is None for d in drafts)
    bank = session.scalars(select(BankTransaction).where(BankTransaction.company_id == cid)).all()
    by_status = {
        s: [t for t in bank if t.status == s] for s in ("matched", "categorized", "uncategorized")
    }
    assert all(by_status.values())
    assert len(by_status["uncategorized"]) < len(bank) / 5
    assert all(t.journal_entry_id is None for t in by_status["uncategorized"])
    for txn in by_status["matched"]:
        if txn.payment_id is not None:
            payment = session.get(Payment, txn.payment_id)
            assert payment is not None and payment.journal_entry_id == txn.journal_entry_id
    manual = session.scalars(
        select(JournalEntry.source_type).where(
            JournalEntry.company_id == cid, JournalEntry.source_type.in_(("opening", "manual"))
        )
    ).all()
    assert "opening" in manual and "manual" in manual


def test_the_demo_charges_and_pays_tax_both_ways(session: Session) -> None:
    """Some customers are charged sales tax (tax exclusive invoices); some vendors charge input
    tax, on bills net of tax and on receipts with the tax included, whose expense accounts get
    the net."""
    cid = _load(session)
    taxed = dict(
        session.execute(
            select(Expense.kind + ":" + Expense.tax_mode, func.count())
            .where(Expense.company_id == cid, Expense.tax_total > 0)
            .group_by(Expense.kind, Expense.tax_mode)
        ).all()
    )
    assert set(taxed) == {"bill:exclusive", "expense:inclusive"}
    invoices = session.scalars(
        select(Invoice).where(Invoice.company_id == cid, Invoice.journal_entry_id.is_not(None))
    ).all()
    taxed_invoices = [i for i in invoices if i.tax_total > 0]
    assert {i.tax_mode for i in taxed_invoices} == {"exclusive"}
    assert 0.1 < len(taxed_invoices) / len(invoices) < 0.6
    receipt = session.scalars(
        select(Expense)
        .where(Expense.company_id == cid, Expense.tax_mode == "inclusive", Expense.tax_total > 0)
        .order_by(Expense.id)
        .limit(1)
    ).one()
    lines = session.scalars(select(ExpenseLine).where(ExpenseLine.expense_id == receipt.id)).all()
    assert receipt.total == sum(line.amount for line in lines)  # as on the receipt
    assert receipt.subtotal == receipt.total - receipt.tax_total
    posted = session.scalars(
        select(JournalLine.amount).where(
            JournalLine.entry_id == receipt.journal_entry_id, JournalLine.amount > 0
        )
    ).all()
    assert sorted(posted) == sorted(
        [line.amount - line.tax_amount for line in lines] + [receipt.tax_total]
    )


def test_an_owner_and_a_viewer_can_sign_in_with_the_printed_passwords(session: Session) -> None:
    cid = _load(session)
    roles = dict(
        session.execute(
            select(User.email, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.company_id == cid)
        ).all()
    )
    assert roles == {"owner@northwind.example": "owner", "viewer@northwind.example": "viewer"}
    owner = session.scalar(select(User).where(User.email == "owner@northwind.example"))
    assert owner is not None and owner.is_demo
    assert verify_password(owner.password_hash, DEMO_PASSWORDS["owner"])


def test_lines_scales_the_history_to_about_that_many_journal_lines(session: Session) -> None:
    cid = _load(session, lines=20_000)
    lines = session.scalar(
        select(func.count()).select_from(JournalLine).where(JournalLine.company_id == cid)
    )
    assert 17_000 <= (lines or 0) <= 23_000


def test_if_empty_loads_once_and_then_leaves_the_books_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        assert load_demo(session, as_of=AS_OF, if_empty=True) is not None
        session.commit()
        before = fingerprint(session, session.scalars(select(Company.id)).one())
    with sessions() as session:
        assert load_demo(session, as_of=AS_OF, if_empty=True) is None
        session.commit()
        assert session.scalar(select(func.count()).select_from(Company)) == 1
        assert fingerprint(session, session.scalars(select(Company.id)).one()) == before


def test_records_added_after_the_demo_get_fresh_ids(session: Session) -> None:
    """The bulk load writes explicit ids; PostgreSQL sequences must have moved past them."""
    cid = _load(session)
    top = session.scalar(select(func.max(Contact.id)))
    contact = Contact(company_id=cid, kind="vendor", name="New Vendor")
    session.add(contact)
    session.flush()
    assert top is not None and contact.id > top


def test_newledger_demo_prints_how_to_sign_in_and_if_empty_skips_the_second_time(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_PUBLIC_URL": "http://books.example:8000",
        "COLUMNS": "200",
    }
    command = [
        sys.executable,
        "-m",
        "newledger.cli.main",
        "demo",
        "--if-empty",
        "--as-of",
        "2026-03-14",
    ]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "http://books.example:8000" in first.stdout
    assert "owner@northwind.example" in first.stdout
    assert DEMO_PASSWORDS["owner"] in first.stdout
    assert "TOTP" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "demo not loaded" in second.stdout
    # `make run` runs this every time, so the sign-in details are printed every time.
    assert "owner@northwind.example" in second.stdout
    assert DEMO_PASSWORDS["owner"] in second.stdout
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Company)) == 1


def test_the_demo_shows_credit_notes_in_use(session: Session) -> None:
    cid = _load(session)
    notes = {
        n.number: n for n in session.scalars(select(CreditNote).where(CreditNote.company_id == cid))
    }
    assert sorted(notes) == ["CN-00001", "CN-00002", "CN-00003", "VC-00001"]
    # A discount with its tax, taken off an open invoice of the customer.
    discount = notes["CN-00001"]
    assert discount.tax_total > 0 and discount.status == "applied"
    [allocation] = discount.allocations
    invoice = session.get(Invoice, allocation.invoice_id)
    assert invoice is not None and invoice.contact_id == discount.contact_id
    assert invoice.amount_credited == discount.total and invoice.status == "partially_paid"
    # A goodwill credit left to a customer who owes nothing: AR aging shows it as a credit.
    goodwill = notes["CN-00002"]
    assert (goodwill.status, goodwill.remaining) == ("approved", 250_00)
    owner = Actor.system(cid)
    aging = ar_aging(session, owner, cid, AS_OF)
    [row] = [c for c in aging.contacts if c.contact_id == goodwill.contact_id]
    assert row.buckets == (-250_00, 0, 0, 0, 0)
    # A seat refunded through the checking account.
    seat = notes["CN-00003"]
    [refund] = session.scalars(select(Payment).where(Payment.credit_note_id == seat.id)).all()
    assert (seat.status, seat.amount_refunded, refund.amount) == ("applied", 450_00, 450_00)
    assert refund.direction == "made" and refund.journal_entry_id is not None
    # A vendor credit applied to the vendor's open bill.
    vendor_credit = notes["VC-00001"]
    [applied] = vendor_credit.allocations
    bill = session.get(Expense, applied.expense_id)
    assert bill is not None and bill.contact_id == vendor_credit.contact_id
    assert bill.amount_credited == vendor_credit.total and vendor_credit.status == "applied"
    # AR and AP aging still equal their control accounts, and db verify is clean.
    balances = {r.code: r.balance for r in trial_balance(session, owner, cid, AS_OF).rows}
    assert aging.total == balances["1100"]
    assert ap_aging(session, owner, cid, AS_OF).total == -balances["2000"]
    assert verify_books(session, cid) == []
