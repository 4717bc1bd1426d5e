"""Property test: random sequences of taxed invoices, bills and expenses (exclusive and
inclusive, rounded per line or per document, some lines from an item), approvals, payments, tax
paid to the authority and voids dated later keep the trial balance at zero, the balance sheet
balanced, ``db verify`` clean, and the sales tax report tied out: its tax per rate equals the
documents' tax, the movement on the tax accounts equals the report's net owed plus the other
postings, and two halves of a period add up to the whole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.ledger import expenses, invoices
from newledger.ledger.items import create_item
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import Expense, Invoice, JournalLine, TaxRate
from newledger.ledger.reports import balance_sheet, sales_tax, trial_balance
from newledger.ledger.tax_rates import create_tax_rate, set_tax_rounding
from newledger.ledger.verify import verify_books
from tests.ledger.test_ledger_properties import START, apply, check_books, usd
from tests.support.books import Books, make_books

# The whole period covers every date an operation can make: a document on day 120 at the latest,
# voided up to 120 days later. (A void after the period's end rightly leaves the period's tax in
# the report, while ``_documents_tax`` counts only documents that stand today.)
END = START + dt.timedelta(days=250)
MID = START + dt.timedelta(days=60)
cents = st.integers(min_value=1, max_value=500_000)
day = st.integers(min_value=0, max_value=120)
pick = st.integers(min_value=0, max_value=50)
mode = st.sampled_from(["exclusive", "inclusive"])
# A line: amount, and which rate (0: none; else an index into the side's rates) or the item.
sale_line = st.tuples(cents, st.sampled_from(["none", "state", "both", "zero", "item"]))
buy_line = st.tuples(cents, st.sampled_from(["none", "vat", "both"]))

operation = st.one_of(
    st.tuples(st.just("taxed_invoice"), st.lists(sale_line, min_size=1, max_size=4), mode, day),
    st.tuples(
        st.just("taxed_expense"),
        st.sampled_from(["bill", "expense"]),
        st.lists(buy_line, min_size=1, max_size=4),
        mode,
        day,
    ),
    st.tuples(st.just("rounding"), st.sampled_from(["line", "document"])),
    st.tuples(st.just("pay_invoice"), pick, st.integers(1, 100), day),
    st.tuples(st.just("pay_bill"), pick, st.integers(1, 100), day),
    st.tuples(st.just("void_later"), st.sampled_from([Invoice, Expense]), pick, day),
    st.tuples(st.just("tax_paid"), cents, day),
)


class Taxed:
    def __init__(self, session: Session, books: Books) -> None:
        a = books.actor
        self.rates = {
            "state": create_tax_rate(session, a, name="State 7.25%", rate="7.25").id,
            "both": create_tax_rate(session, a, name="GST 2.5%", rate="2.5", kind="both").id,
            "zero": create_tax_rate(session, a, name="Zero rated", rate="0").id,
            "vat": create_tax_rate(session, a, name="VAT 19%", rate="19", kind="purchase").id,
        }
        self.item = create_item(
            session,
            a,
            code="SVC",
            name="Service",
            unit_price="33.33",
            income_account_id=books.acct("4100"),
            tax_rate_id=self.rates["state"],
        ).id


def _apply(session: Session, books: Books, taxed: Taxed, op: tuple[Any, ...], n: int) -> None:
    a = books.actor
    kind = op[0]
    if kind == "taxed_invoice":
        _, lines, tax_mode, d = op
        inv = invoices.create_draft_invoice(
            session,
            a,
            contact_id=books.customer.id,
            issue_date=START + dt.timedelta(days=d),
            tax_mode=tax_mode,
            lines=[
                {"item_id": taxed.item, "quantity": "2"}
                if rate == "item"
                else {"unit_price": usd(c), "tax_rate_id": taxed.rates.get(rate)}
                for c, rate in lines
            ],
        )
        invoices.approve_invoice(session, a, inv.id)
    elif kind == "taxed_expense":
        _, doc_kind, lines, tax_mode, d = op
        exp = expenses.create_draft_expense(
            session,
            a,
            kind=doc_kind,
            contact_id=books.vendor.id if doc_kind == "bill" else None,
            date=START + dt.timedelta(days=d),
            tax_mode=tax_mode,
            lines=[
                {
                    "amount": usd(c),
                    "account_id": books.acct("6500"),
                    "tax_rate_id": taxed.rates.get(rate),
                }
                for c, rate in lines
            ],
        )
        expenses.approve_expense(session, a, exp.id)
    elif kind == "rounding":
        set_tax_rounding(session, a, op[1])
    elif kind == "void_later":
        _, model, idx, later = op
        docs = [
            doc
            for doc in session.scalars(
                select(model)
                .where(model.company_id == books.company_id, model.status.in_(("approved", "paid")))
                .order_by(model.id)
            )
            if doc.amount_paid == 0 or (model is Expense and doc.kind == "expense")
        ]
        if docs:
            doc = docs[idx % len(docs)]
            posted = doc.issue_date if isinstance(doc, Invoice) else doc.date
            on = posted + dt.timedelta(days=later)
            if isinstance(doc, Invoice):
                invoices.void_invoice(session, a, doc.id, date=on, reason="property")
            else:
                expenses.void_expense(session, a, doc.id, date=on, reason="property")
    elif kind == "tax_paid":
        _, c, d = op
        state = session.get(TaxRate, taxed.rates["state"])
        assert state is not None
        create_manual_entry(
            session,
            a,
            date=START + dt.timedelta(days=d),
            lines=[
                {"account_id": state.account_id, "debit": usd(c)},
                {"account_id": books.acct("1000"), "credit": usd(c)},
            ],
        )
    else:
        apply(session, books, op, n)


def _documents_tax(session: Session, model: type[Invoice] | type[Expense], cid: int) -> int:
    """The tax of the documents that stand: posted and not voided."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(model.tax_total), 0)).where(
                model.company_id == cid,
                model.journal_entry_id.is_not(None),
                model.void_entry_id.is_(None),
            )
        )
        or 0
    )


def check_tax(session: Session, books: Books) -> None:
    cid, actor = books.company_id, books.actor
    whole = sales_tax(session, actor, cid, START, END)
    assert whole.ties_out, whole
    assert whole.total("sales_tax") == _documents_tax(session, Invoice, cid)
    assert whole.total("purchases_tax") == _documents_tax(session, Expense, cid)
    # The tax accounts' movement, read from the journal lines themselves.
    tax_accounts = select(TaxRate.account_id).where(TaxRate.company_id == cid)
    moved = -int(
        session.scalar(
            select(func.coalesce(func.sum(JournalLine.amount), 0)).where(
                JournalLine.company_id == cid, JournalLine.account_id.in_(tax_accounts)
            )
        )
        or 0
    )
    assert moved == whole.tax_account_movement == whole.net_owed + whole.other_movement
    # Two halves make the whole, rate by rate (voids land in the half of their own date).
    first = sales_tax(session, actor, cid, START, MID)
    second = sales_tax(session, actor, cid, MID + dt.timedelta(days=1), END)
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
    assert trial_balance(session, actor, cid, END).balanced
    assert balance_sheet(session, actor, cid, END).balanced


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=3, max_size=14))
def test_taxed_sequences_keep_the_books_balanced_and_the_tax_report_tied_out(
    session: Session, ops: list[tuple[Any, ...]]
) -> None:
    books = make_books(session)
    taxed = Taxed(session, books)
    for n, op in enumerate(ops):
        _apply(session, books, taxed, op, n)
    check_books(session, books)
    assert verify_books(session, books.company_id) == []
    check_tax(session, books)
