"""Property tests: any valid sequence of ledger operations keeps the books balanced.

Each example runs a random sequence of operations (invoices, bills and expenses drafted and
approved, partial payments, voids, manual entries, categorized bank lines) on a fresh company,
then checks that journal lines sum to zero per currency, that the daily balances agree with the
lines, that assets = liabilities + equity + (income - expenses), that AR and AP equal what
the open documents say is owed less what is left of credit notes, and that ``verify_books``
(``newledger db verify``) finds no drift.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from newledger.errors import ValidationFailed
from newledger.ledger import bank, expenses, invoices
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import (
    AccountDailyBalance,
    CreditNote,
    Expense,
    Invoice,
    JournalLine,
)
from newledger.ledger.payments import record_payment
from newledger.ledger.verify import verify_books
from newledger.money import format_minor
from tests.support.books import Books, balance_by_type, make_books, net

START = dt.date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=500_000)
day = st.integers(min_value=0, max_value=120)
pick = st.integers(min_value=0, max_value=50)
mostly = st.sampled_from([True, True, True, False])  # approve most drafts
EXPENSE_CODES = ["5000", "6000", "6500", "6700", "7100"]
INCOME_CODES = ["4000", "4100", "4900"]

operation = st.one_of(
    st.tuples(
        st.just("invoice"),
        st.lists(cents, min_size=1, max_size=3),
        mostly,
        st.sampled_from(["USD", "USD", "EUR"]),
        day,
    ),
    st.tuples(st.just("bill"), st.lists(cents, min_size=1, max_size=3), mostly, day),
    st.tuples(st.just("expense"), st.lists(cents, min_size=1, max_size=3), mostly, day),
    # Payments are listed twice to make them as likely as the documents they pay.
    st.tuples(st.just("pay_invoice"), pick, st.integers(1, 100), day),
    st.tuples(st.just("pay_invoice"), pick, st.integers(1, 100), day),
    st.tuples(st.just("pay_bill"), pick, st.integers(1, 100), day),
    st.tuples(st.just("pay_bill"), pick, st.integers(1, 100), day),
    # A payment of 1 cent more than is due: must be refused, leaving nothing behind.
    st.tuples(st.just("pay_invoice"), pick, st.just(-1), day),
    st.tuples(st.just("void_invoice"), pick),
    st.tuples(st.just("void_expense"), pick),
    st.tuples(st.just("manual"), cents, st.sampled_from(["3000", "2500", "6300"]), day),
    st.tuples(st.just("bank"), st.integers(-300_000, 300_000).filter(bool), pick, day),
)


def usd(minor: int) -> str:
    return format_minor(minor, "USD")


def apply(session: Session, books: Books, op: tuple[Any, ...], n: int) -> None:
    a = books.actor
    kind = op[0]
    if kind == "invoice":
        _, amounts, approve, currency, d = op
        inv = invoices.create_draft_invoice(
            session,
            a,
            contact_id=books.customer.id,
            issue_date=START + dt.timedelta(days=d),
            currency=currency,
            lines=[
                {
                    "description": f"line {i}",
                    "quantity": "1",
                    "unit_price": usd(c),
                    "account_id": books.acct(INCOME_CODES[i % 3]),
                }
                for i, c in enumerate(amounts)
            ],
        )
        if approve:
            invoices.approve_invoice(session, a, inv.id)
    elif kind in ("bill", "expense"):
        _, amounts, approve, d = op
        exp = expenses.create_draft_expense(
            session,
            a,
            kind=kind,
            contact_id=books.vendor.id if kind == "bill" else None,
            date=START + dt.timedelta(days=d),
            lines=[
                {"amount": usd(c), "account_id": books.acct(EXPENSE_CODES[i % 5])}
                for i, c in enumerate(amounts)
            ],
        )
        if approve:
            expenses.approve_expense(session, a, exp.id)
    elif kind in ("pay_invoice", "pay_bill"):
        _, idx, pct, d = op
        model = Invoice if kind == "pay_invoice" else Expense
        open_docs = session.scalars(
            select(model)
            .where(
                model.company_id == books.company.id,
                model.status.in_(("approved", "partially_paid")),
                model.currency == "USD",
            )
            .order_by(model.id)
        ).all()
        open_docs = [doc for doc in open_docs if not (model is Expense and doc.kind != "bill")]
        if not open_docs:
            return
        doc = open_docs[idx % len(open_docs)]
        due = doc.total - doc.amount_paid
        amount = due + 1 if pct == -1 else max(1, due * pct // 100)
        if pct == -1:
            with pytest.raises(ValidationFailed) as refused:
                record_payment(
                    session,
                    a,
                    invoice_id=doc.id,
                    amount=usd(amount),
                    date=START,
                    bank_account_id=books.checking.id,
                )
            assert refused.value.code == "overpayment"
            return
        record_payment(
            session,
            a,
            invoice_id=doc.id if model is Invoice else None,
            expense_id=doc.id if model is Expense else None,
            amount=usd(amount),
            date=START + dt.timedelta(days=d),
            bank_account_id=books.checking.id,
        )
    elif kind in ("void_invoice", "void_expense"):
        _, idx = op
        model = Invoice if kind == "void_invoice" else Expense
        candidates = session.scalars(
            select(model)
            .where(model.company_id == books.company.id, model.status.in_(("approved", "paid")))
            .order_by(model.id)
        ).all()
        voidable = [
            doc
            for doc in candidates
            if doc.amount_paid == 0 or (isinstance(doc, Expense) and doc.kind == "expense")
        ]
        if voidable:
            doc = voidable[idx % len(voidable)]
            if isinstance(doc, Invoice):
                invoices.void_invoice(session, a, doc.id, reason="property test")
            else:
                expenses.void_expense(session, a, doc.id, reason="property test")
    elif kind == "manual":
        _, c, code, d = op
        create_manual_entry(
            session,
            a,
            date=START + dt.timedelta(days=d),
            lines=[
                {"account_id": books.acct("1000"), "debit": usd(c)},
                {"account_id": books.acct(code), "credit": usd(c)},
            ],
        )
    elif kind == "bank":
        _, c, idx, d = op
        [txn] = bank.import_transactions(
            session,
            a,
            books.checking.id,
            [{"external_id": f"x{n}", "date": START + dt.timedelta(days=d), "amount": usd(c)}],
        ).transactions
        codes = INCOME_CODES if c > 0 else EXPENSE_CODES
        bank.categorize_transaction(session, a, txn.id, books.acct(codes[idx % len(codes)]))


def check_books(session: Session, books: Books) -> None:
    cid = books.company.id
    line_sums = dict(
        session.execute(
            select(JournalLine.currency, func.sum(JournalLine.amount))
            .where(JournalLine.company_id == cid)
            .group_by(JournalLine.currency)
        ).all()
    )
    assert all(total == 0 for total in line_sums.values()), line_sums

    # The daily totals agree with the lines they summarise, account by account.
    lines = {
        (acc, cur): (int(dr), int(cr))
        for acc, cur, dr, cr in session.execute(
            select(
                JournalLine.account_id,
                JournalLine.currency,
                func.sum(case((JournalLine.amount > 0, JournalLine.amount), else_=0)),
                func.sum(case((JournalLine.amount < 0, -JournalLine.amount), else_=0)),
            )
            .where(JournalLine.company_id == cid)
            .group_by(JournalLine.account_id, JournalLine.currency)
        )
    }
    adb = AccountDailyBalance
    daily = {
        (acc, cur): (int(dr), int(cr))
        for acc, cur, dr, cr in session.execute(
            select(adb.account_id, adb.currency, func.sum(adb.debit), func.sum(adb.credit))
            .where(adb.company_id == cid)
            .group_by(adb.account_id, adb.currency)
        )
    }
    assert lines == daily

    by_type = balance_by_type(session, cid)
    for cur in {c for _, c in by_type}:

        def natural(t: str, sign: int, cur: str = cur) -> int:
            return sign * by_type.get((t, cur), 0)

        assets = natural("asset", 1)
        liabilities, equity = natural("liability", -1), natural("equity", -1)
        income, expense = natural("income", -1), natural("expense", 1)
        assert assets == liabilities + equity + (income - expense), (cur, by_type)

    # Receivables and payables equal what the open USD documents still owe, less what is
    # left to use of the credit notes and vendor credits that stand.
    def owed(model: type[Invoice] | type[Expense], *where: Any) -> int:
        return sum(
            doc.total - doc.amount_paid - doc.amount_credited
            for doc in session.scalars(
                select(model).where(
                    model.company_id == cid,
                    model.currency == "USD",
                    model.status.in_(("approved", "partially_paid", "paid")),
                    *where,
                )
            )
        )

    def credit_left(kind: str) -> int:
        return sum(
            note.remaining
            for note in session.scalars(
                select(CreditNote).where(
                    CreditNote.company_id == cid,
                    CreditNote.kind == kind,
                    CreditNote.currency == "USD",
                    CreditNote.status.in_(("approved", "applied")),
                )
            )
        )

    ar_usd = session.scalar(
        select(func.coalesce(func.sum(adb.debit - adb.credit), 0)).where(
            adb.company_id == cid, adb.account_id == books.acct("1100"), adb.currency == "USD"
        )
    )
    assert ar_usd == owed(Invoice) - credit_left("sales")
    we_owe = owed(Expense, Expense.kind == "bill") - credit_left("purchase")
    assert -net(session, books.acct("2000")) == we_owe


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=4, max_size=16))
def test_any_valid_sequence_of_operations_keeps_the_books_balanced(
    session: Session, ops: list[tuple[Any, ...]]
) -> None:
    books = make_books(session)
    for n, op in enumerate(ops):
        apply(session, books, op, n)
    check_books(session, books)
    assert verify_books(session, books.company.id) == []
