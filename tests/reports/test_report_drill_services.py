"""The services behind the report drill-down: an account's ledger, the documents behind an aging
row, the named periods, and spreadsheet-safe CSV cells."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import NotFound, PermissionDenied
from newledger.identity.permissions import ROLES, Permission, Role
from newledger.ledger import reports
from newledger.ledger.account_ledger import account_ledger, entry_documents
from newledger.ledger.reports.aging import aging_documents
from newledger.ledger.reports.presets import period_presets
from newledger.web.csvcells import csv_cell
from tests.support.reports_books import D, make_books, post_sample, random_books


def _reader(company_id: int, *permissions: Permission) -> Actor:
    return Actor("user", company_id, frozenset(permissions), user_id=None, label="reader")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_documents_behind_each_aging_row_add_up_to_it(session: Session, seed: int) -> None:
    b = random_books(session, seed)
    for as_of in (D(2023, 6, 30), D(2024, 3, 31), D(2025, 6, 30)):
        report = reports.ar_aging(session, b.actor, b.cid, as_of)
        assert report.contacts, as_of
        for row in report.contacts:
            found = aging_documents(session, b.actor, "receivable", b.cid, row.contact_id, as_of)
            assert found.totals == row.buckets, (seed, as_of, row.name)
            assert all(d.owed > 0 and d.issued <= as_of for d in found.documents)


def test_bills_behind_an_ap_row_and_documents_without_a_contact(session: Session) -> None:
    b = make_books(session)
    post_sample(b)
    as_of = D(2024, 3, 31)
    report = reports.ap_aging(session, b.actor, b.cid, as_of)
    rows = {row.name: row for row in report.contacts}
    assert set(rows) == {"Staples", "Landlord"}
    staples = aging_documents(session, b.actor, "payable", b.cid, rows["Staples"].contact_id, as_of)
    # The paid bill is gone; the one from December is 72 days past due.
    (bill,) = staples.documents
    assert (bill.label, bill.days_past_due, bill.owed) == (f"Bill #{bill.id}", 72, 4_400)
    assert staples.totals == rows["Staples"].buckets
    nobody = aging_documents(session, b.actor, "payable", b.cid, 0, as_of)
    assert (nobody.name, nobody.documents) == ("(no contact)", ())
    with pytest.raises(NotFound):
        aging_documents(session, b.actor, "payable", b.cid, 999_999, as_of)
    with pytest.raises(PermissionDenied):
        aging_documents(session, _reader(b.cid), "payable", b.cid, 0, as_of)


def test_an_account_ledger_runs_from_the_opening_balance_to_the_reports_figure(
    session: Session,
) -> None:
    b = make_books(session)
    sample = post_sample(b)
    reader = _reader(b.cid, Permission.JOURNAL_READ)
    ar = b.acct("1100")
    ledger = account_ledger(session, reader, ar, D(2024, 1, 1), D(2024, 3, 31))
    assert ledger.opening == 80_000  # last year's invoice, unpaid at the year end
    assert [ln.balance for ln in ledger.lines] == [330_000, 300_000, 50_000, 170_000]
    assert ledger.closing == ledger.lines[-1].balance
    sheet = reports.balance_sheet(session, b.actor, b.cid, D(2024, 3, 31))
    (line,) = [ln for ln in sheet.assets.lines if ln.account_id == ar]
    assert ledger.closing == line.amount
    docs = entry_documents(session, b.cid, [ln.entry_id for ln in ledger.lines])
    kinds = [(docs[ln.entry_id].kind, docs[ln.entry_id].id) for ln in ledger.lines]
    paid, services = sample.paid_invoice.id, sample.services_invoice.id
    assert kinds[0] == ("invoice", paid) and kinds[3] == ("invoice", services)
    assert kinds[2] == ("invoice", paid)  # the payment, through the invoice it paid
    assert docs[ledger.lines[3].entry_id].label == sample.services_invoice.number


def test_an_account_ledger_needs_journal_read_and_an_account_of_the_company(
    session: Session,
) -> None:
    b = make_books(session)
    other = make_books(session, "other")
    with pytest.raises(PermissionDenied):
        account_ledger(
            session,
            _reader(b.cid, *ROLES[Role.VIEWER] - {Permission.JOURNAL_READ}),
            b.acct("1000"),
            D(2024, 1, 1),
            D(2024, 1, 31),
        )
    with pytest.raises(NotFound):
        account_ledger(
            session,
            _reader(b.cid, Permission.JOURNAL_READ),
            other.acct("1000"),
            D(2024, 1, 1),
            D(2024, 1, 31),
        )


def test_a_voided_invoices_reversal_leads_to_the_invoice(session: Session) -> None:
    b = make_books(session)
    inv = b.invoice("Globex", D(2024, 1, 10), D(2024, 2, 9), 10_000)
    b.void_invoice(inv, D(2024, 1, 12))
    reader = _reader(b.cid, Permission.JOURNAL_READ)
    ledger = account_ledger(session, reader, b.acct("4000"), D(2024, 1, 1), D(2024, 1, 31))
    docs = entry_documents(session, b.cid, [ln.entry_id for ln in ledger.lines])
    assert [(docs[ln.entry_id].kind, docs[ln.entry_id].id) for ln in ledger.lines] == [
        ("invoice", inv.id),
        ("invoice", inv.id),
    ]
    assert ledger.closing == 0


@pytest.mark.parametrize(
    ("today", "fy_month", "expected"),
    [
        (
            D(2025, 5, 20),
            1,
            {
                "this-month": (D(2025, 5, 1), D(2025, 5, 31)),
                "last-month": (D(2025, 4, 1), D(2025, 4, 30)),
                "this-quarter": (D(2025, 4, 1), D(2025, 6, 30)),
                "this-fiscal-year": (D(2025, 1, 1), D(2025, 12, 31)),
                "last-fiscal-year": (D(2024, 1, 1), D(2024, 12, 31)),
            },
        ),
        (
            D(2025, 3, 1),
            4,
            {
                "this-month": (D(2025, 3, 1), D(2025, 3, 31)),
                "last-month": (D(2025, 2, 1), D(2025, 2, 28)),
                "this-quarter": (D(2025, 1, 1), D(2025, 3, 31)),
                "this-fiscal-year": (D(2024, 4, 1), D(2025, 3, 31)),
                "last-fiscal-year": (D(2023, 4, 1), D(2024, 3, 31)),
            },
        ),
        (
            D(2025, 1, 31),
            7,
            {
                "this-month": (D(2025, 1, 1), D(2025, 1, 31)),
                "last-month": (D(2024, 12, 1), D(2024, 12, 31)),
                "this-quarter": (D(2025, 1, 1), D(2025, 3, 31)),
                "this-fiscal-year": (D(2024, 7, 1), D(2025, 6, 30)),
                "last-fiscal-year": (D(2023, 7, 1), D(2024, 6, 30)),
            },
        ),
    ],
)
def test_named_periods_follow_the_fiscal_year(
    today: dt.date, fy_month: int, expected: dict[str, tuple[dt.date, dt.date]]
) -> None:
    got = {p.key: (p.period.start, p.period.end) for p in period_presets(today, fy_month)}
    assert got == expected


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-12.50", "-12.50"),
        ("-3", "-3"),
        ("1250.00", "1250.00"),
        ("Rent", "Rent"),
        (None, ""),
    ],
)
def test_csv_cells_are_safe_in_spreadsheets_and_amounts_stay_numbers(
    value: str | None, cell: str
) -> None:
    assert csv_cell(value) == cell
