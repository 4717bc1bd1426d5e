"""Sales tax and VAT: rates, tax on invoice and expense lines, posting, voids and db verify.

The twelve cases below are figures NewLedger computes through its services (a real draft in a
real database), against figures derived by hand from Xero's rules: tax rounded half up to the
currency's minor unit, per line by default or once per rate on the document, and inclusive
amounts backed out as amount x rate / (1 + rate).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from newledger.ledger import expenses, invoices
from newledger.ledger.models import Account, JournalLine, TaxRate
from newledger.ledger.tax_rates import create_tax_rate, set_tax_rounding, update_tax_rate
from newledger.ledger.verify import verify_books
from tests.support.books import Books, make_books, net

D = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def rate(session: Session, books: Books, percent: str, kind: str = "sales") -> TaxRate:
    return create_tax_rate(session, books.actor, name=f"{kind} {percent}%", rate=percent, kind=kind)


# (name, currency, tax mode, rounding, rate %, unit prices; expected subtotal, tax, total)
CASES = [
    # 100.00 x 0 % = 0.
    ("0%", "USD", "exclusive", "line", "0", ["100.00"], "100.00", "0.00", "100.00"),
    # 20 cents x 2.5 % = 0.5 cent: half up → 1 cent (half-even would say 0).
    ("2.5% tie", "USD", "exclusive", "line", "2.5", ["0.20"], "0.20", "0.01", "0.21"),
    # 1999 x 0.025 = 49.975 → 50 cents.
    ("2.5%", "USD", "exclusive", "line", "2.5", ["19.99"], "19.99", "0.50", "20.49"),
    # 1010 x 0.0725 = 73.225 → 73, twice: 1.46.
    ("7.25% lines", "USD", "exclusive", "line", "7.25", ["10.10", "10.10"], "20.20", "1.46",
     "21.66"),
    # 10 x 0.0725 = 0.725 → 1 cent on each of three lines: 0.03.
    ("7.25% per line", "USD", "exclusive", "line", "7.25", ["0.10"] * 3, "0.30", "0.03", "0.33"),
    # 30 x 0.0725 = 2.175 → 2 cents once for the document: 0.02.
    ("7.25% per doc", "USD", "exclusive", "document", "7.25", ["0.10"] * 3, "0.30", "0.02",
     "0.32"),
    # 3333 x 0.19 = 633.27 → 633.
    ("19%", "USD", "exclusive", "line", "19", ["33.33"], "33.33", "6.33", "39.66"),
    # 9999 x 0.19 = 1899.81 → 1900 once (per line it would be 3 x 633 = 1899).
    ("19% per doc", "USD", "exclusive", "document", "19", ["33.33"] * 3, "99.99", "19.00",
     "118.99"),
    # 11900 x 0.19 / 1.19 = 1900 exactly: net 100.00.
    ("19% inclusive", "USD", "inclusive", "line", "19", ["119.00"], "100.00", "19.00", "119.00"),
    # 10000 x 0.2 / 1.2 = 1666.67 → 1667: net 83.33.
    ("20% inclusive", "USD", "inclusive", "line", "20", ["100.00"], "83.33", "16.67", "100.00"),
    # 3 x 1000: per document 3000 / 6 = 500 → 5.00 (per line 3 x 166.67 → 3 x 167 = 5.01).
    ("20% incl per doc", "USD", "inclusive", "document", "20", ["10.00"] * 3, "25.00", "5.00",
     "30.00"),
    # Yen have no minor unit: 1000 x 0.0725 = 72.5 → 73 yen.
    ("JPY 7.25%", "JPY", "exclusive", "line", "7.25", ["1000"], "1000", "73", "1073"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("currency", "mode", "rounding", "percent", "prices", "subtotal", "tax", "total"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_tax_figures_match_the_hand_derived_ones(
    session: Session,
    books: Books,
    currency: str,
    mode: str,
    rounding: str,
    percent: str,
    prices: list[str],
    subtotal: str,
    tax: str,
    total: str,
) -> None:
    set_tax_rounding(session, books.actor, rounding)
    tax_rate = rate(session, books, percent)
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        currency=currency,
        tax_mode=mode,
        lines=[{"unit_price": p, "tax_rate_id": tax_rate.id} for p in prices],
    )
    data = invoices.invoice_dict(inv)
    assert (data["subtotal"], data["tax_total"], data["total"]) == (subtotal, tax, total)
    assert sum(line.tax_amount for line in inv.lines) == inv.tax_total


def test_an_approved_invoice_posts_net_and_tax_and_its_void_reverses_both(
    session: Session, books: Books
) -> None:
    sales = rate(session, books, "7.25")
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[
            {"unit_price": "200.00", "tax_rate_id": sales.id},
            {"unit_price": "50.00"},  # not taxed
        ],
    )
    assert (inv.subtotal, inv.tax_total, inv.total) == (25000, 1450, 26450)
    invoices.approve_invoice(session, books.actor, inv.id)
    assert net(session, books.acct("1100")) == 26450
    assert net(session, books.acct("4000")) == -25000
    assert net(session, books.acct("2200")) == -1450  # owed: a credit
    assert verify_books(session, books.company_id) == []
    invoices.void_invoice(session, books.actor, inv.id)
    for code in ("1100", "4000", "2200"):
        assert net(session, books.acct(code)) == 0
    assert verify_books(session, books.company_id) == []


def test_an_inclusive_receipt_posts_its_input_tax_as_recoverable(
    session: Session, books: Books
) -> None:
    vat = rate(session, books, "20", kind="purchase")
    assert vat.account_id == books.acct("1400")  # Input Tax Recoverable
    exp = expenses.create_draft_expense(
        session,
        books.actor,
        date=D,
        tax_mode="inclusive",
        lines=[{"amount": "60.00", "account_id": books.acct("6500"), "tax_rate_id": vat.id}],
    )
    assert (exp.subtotal, exp.tax_total, exp.total) == (5000, 1000, 6000)
    expenses.approve_expense(session, books.actor, exp.id)
    assert net(session, books.acct("6500")) == 5000
    assert net(session, vat.account_id) == 1000
    assert net(session, books.acct("1000")) == -6000
    assert verify_books(session, books.company_id) == []
    data = expenses.expense_dict(exp)
    assert data["lines"][0]["tax_amount"] == "10.00" and data["tax_mode"] == "inclusive"


def test_documents_without_tax_keep_their_figures(session: Session, books: Books) -> None:
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"unit_price": "10.00", "quantity": "3"}],
    )
    assert (inv.tax_mode, inv.subtotal, inv.tax_total, inv.total) == ("exclusive", 3000, 0, 3000)
    invoices.approve_invoice(session, books.actor, inv.id)
    lines = session.scalars(select(JournalLine).where(JournalLine.entry_id == inv.journal_entry_id))
    assert sorted(line.amount for line in lines) == [-3000, 3000]


def test_a_rate_must_suit_the_document_be_active_and_belong_to_the_company(
    session: Session, books: Books
) -> None:
    sales = rate(session, books, "7.25")
    vat = rate(session, books, "20", kind="purchase")
    with pytest.raises(ValidationFailed) as wrong_side:
        expenses.create_draft_expense(
            session,
            books.actor,
            date=D,
            lines=[{"amount": "10", "account_id": books.acct("6500"), "tax_rate_id": sales.id}],
        )
    assert wrong_side.value.errors == {"lines[0].tax_rate_id": "not purchase"}
    with pytest.raises(ValidationFailed):
        invoices.create_draft_invoice(
            session,
            books.actor,
            contact_id=books.customer.id,
            issue_date=D,
            lines=[{"unit_price": "10", "tax_rate_id": vat.id}],
        )
    update_tax_rate(session, books.actor, sales.id, {"is_active": False})
    with pytest.raises(ValidationFailed) as archived:
        invoices.create_draft_invoice(
            session,
            books.actor,
            contact_id=books.customer.id,
            issue_date=D,
            lines=[{"unit_price": "10", "tax_rate_id": sales.id}],
        )
    assert archived.value.errors == {"lines[0].tax_rate_id": "archived"}
    other = make_books(session, slug="other-co")
    with pytest.raises(NotFound):
        invoices.create_draft_invoice(
            session,
            other.actor,
            contact_id=other.customer.id,
            issue_date=D,
            lines=[{"unit_price": "10", "tax_rate_id": vat.id}],
        )


@pytest.mark.parametrize("bad", ["100", "-1", "7.12345", "abc", "1e2"])
def test_a_rate_is_a_percentage_below_100_with_at_most_four_decimals(
    session: Session, books: Books, bad: str
) -> None:
    with pytest.raises(ValidationFailed):
        create_tax_rate(session, books.actor, name="Bad", rate=bad)


def test_rates_are_a_persons_job_and_fixed_once_used(session: Session, books: Books) -> None:
    with pytest.raises(PermissionDenied):
        create_tax_rate(session, books.app(), name="App rate", rate="5")
    sales = rate(session, books, "7.25")
    with pytest.raises(Conflict):
        create_tax_rate(session, books.actor, name=sales.name, rate="8")
    # Unused: anything may change.
    update_tax_rate(session, books.actor, sales.id, {"rate": "7.5"})
    assert sales.rate == Decimal("7.5")
    invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"unit_price": "10", "tax_rate_id": sales.id}],
    )
    with pytest.raises(Conflict) as used:
        update_tax_rate(session, books.actor, sales.id, {"rate": "8"})
    assert used.value.code == "tax_rate_in_use"
    renamed = update_tax_rate(session, books.actor, sales.id, {"name": "State tax"})
    assert (renamed.name, renamed.rate) == ("State tax", Decimal("7.5"))


def test_a_chart_without_input_tax_gets_it_with_its_first_purchase_rate(
    session: Session, books: Books
) -> None:
    # A company made before the standard chart had 1400 (the migration adds no account).
    session.delete(books.accounts["1400"])
    session.flush()
    vat = rate(session, books, "20", kind="purchase")
    account = session.get(Account, vat.account_id)
    assert account is not None
    assert (account.code, account.name, account.type) == (
        "1400",
        "Input Tax Recoverable",
        "asset",
    )
    assert rate(session, books, "5", kind="purchase").account_id == account.id
