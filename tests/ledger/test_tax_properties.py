"""Property test: random sequences of taxed invoices, bills and expenses (exclusive and
inclusive, rounded per line or per document, some lines from an item), credit notes and vendor
credits (taxed the same ways, with proposed allocations applied on approval, allocations made
later and taken back, refunds, voids where allowed), payments, tax paid to the authority and
voids dated later keep:

- the trial balance at zero and the balance sheet balanced, AR and AP equal to what the
  documents owe less the credit left, and ``db verify`` clean;
- the sales tax report tied out: its tax per rate equals the documents' tax less the credit
  notes', the movement on the tax accounts equals the report's net owed plus the other
  postings (exactly the tax paid by hand, none otherwise), and two halves of a period add up
  to the whole;
- the AR and AP aging totals equal to the AR and AP balances, at the end and at a date in the
  middle.

The operations are ``tests.support.taxed_books``; how they are drawn, ``taxed_operations``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.ledger.models import CreditNote, Expense, Invoice, JournalEntry, JournalLine, TaxRate
from newledger.ledger.reports import ap_aging, ar_aging, balance_sheet, sales_tax, trial_balance
from newledger.ledger.verify import verify_books
from tests.ledger.test_ledger_properties import check_books
from tests.support.books import Books, make_books
from tests.support.taxed_books import END, START, Taxed, apply_operation
from tests.support.taxed_operations import SEQUENCES


def _documents_tax(
    session: Session,
    model: type[Invoice] | type[Expense] | type[CreditNote],
    cid: int,
    *where: Any,
) -> int:
    """The tax of the documents that stand: posted and not voided."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(model.tax_total), 0)).where(
                model.company_id == cid,
                model.journal_entry_id.is_not(None),
                model.void_entry_id.is_(None),
                *where,
            )
        )
        or 0
    )


def _tax_account_movement(session: Session, cid: int, *where: Any) -> int:
    """Credits less debits on the tax accounts, read from the journal lines themselves."""
    tax_accounts = select(TaxRate.account_id).where(TaxRate.company_id == cid)
    return -int(
        session.scalar(
            select(func.coalesce(func.sum(JournalLine.amount), 0))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.company_id == cid, JournalLine.account_id.in_(tax_accounts), *where)
        )
        or 0
    )


def check_tax(session: Session, books: Books, mid: dt.date) -> None:
    cid, actor = books.company_id, books.actor
    whole = sales_tax(session, actor, cid, START, END)
    assert whole.ties_out, whole
    assert whole.total("sales_tax") == _documents_tax(session, Invoice, cid) - _documents_tax(
        session, CreditNote, cid, CreditNote.kind == "sales"
    )
    assert whole.total("purchases_tax") == _documents_tax(session, Expense, cid) - _documents_tax(
        session, CreditNote, cid, CreditNote.kind == "purchase"
    )
    moved = _tax_account_movement(session, cid)
    assert moved == whole.tax_account_movement == whole.net_owed + whole.other_movement
    # The only other postings on the tax accounts are the tax paid by hand (none: 0), so the
    # net owed is exactly what the documents moved there.
    by_hand = _tax_account_movement(session, cid, JournalEntry.source_type == "manual")
    assert whole.other_movement == by_hand
    assert whole.net_owed == moved - by_hand
    # Two halves make the whole, rate by rate (voids land in the half of their own date).
    first = sales_tax(session, actor, cid, START, mid)
    second = sales_tax(session, actor, cid, mid + dt.timedelta(days=1), END)
    assert first.ties_out and second.ties_out
    fields = ("sales_net", "sales_tax", "purchases_net", "purchases_tax")

    def by_rate(report: Any) -> dict[int, tuple[int, ...]]:
        return {r.tax_rate_id: tuple(getattr(r, f) for f in fields) for r in report.rates}

    halves, total = by_rate(first), by_rate(second)
    added = {
        k: tuple(
            x + y for x, y in zip(halves.get(k, (0,) * 4), total.get(k, (0,) * 4), strict=True)
        )
        for k in halves.keys() | total.keys()
    }
    assert {k: v for k, v in added.items() if any(v)} == {
        k: v for k, v in by_rate(whole).items() if any(v)
    }


def check_reports(session: Session, books: Books, day: dt.date) -> None:
    """At ``day``: the trial balance and balance sheet balance, and the aging totals equal the
    AR and AP balances (credit left on credit notes counts as negative)."""
    cid, actor = books.company_id, books.actor
    tb = trial_balance(session, actor, cid, day)
    assert tb.balanced
    assert balance_sheet(session, actor, cid, day).balanced
    balances = {r.account_id: r.balance for r in tb.rows}
    ar, ap = balances.get(books.acct("1100"), 0), -balances.get(books.acct("2000"), 0)
    assert ar_aging(session, actor, cid, day).total == ar, day
    assert ap_aging(session, actor, cid, day).total == ap, day


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=SEQUENCES,
    mid=st.integers(min_value=0, max_value=(END - START).days - 1),
)
def test_taxed_sequences_keep_the_books_balanced_and_the_tax_report_tied_out(
    session: Session, ops: list[tuple[Any, ...]], mid: int
) -> None:
    books = make_books(session)
    taxed = Taxed(session, books)
    for op in ops:
        apply_operation(session, taxed, op)
    middle = START + dt.timedelta(days=mid)
    check_books(session, books)
    assert verify_books(session, books.company_id) == []
    check_tax(session, books, middle)
    check_reports(session, books, END)
    check_reports(session, books, middle)
