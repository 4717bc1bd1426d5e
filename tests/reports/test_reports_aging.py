"""AR and AP aging: buckets at their boundaries, and agreement with the control accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.ledger import reports
from newledger.ledger.reports.aging import BUCKETS
from newledger.ledger.reports.common import account_sums
from tests.support.reports_books import Books, D, make_books

AS_OF = D(2024, 6, 30)


def _control_balance(b: Books, code: str, as_of: dt.date) -> int:
    sums = account_sums(b.session, b.cid, currency=b.cur, end=as_of, account_ids=[b.acct(code)])
    dr, cr = sums.get((b.acct(code), b.cur), (0, 0))
    return dr - cr


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "90_plus"),
        (400, "90_plus"),
    ],
)
def test_an_invoice_lands_in_the_bucket_of_its_days_past_due(
    session: Session, days_past_due: int, bucket: str
) -> None:
    b = make_books(session)
    due = AS_OF - dt.timedelta(days=days_past_due)
    b.invoice("Globex", min(due, AS_OF), due, 10_000)
    report = reports.ar_aging(session, b.actor, b.cid, AS_OF)
    expected = tuple(10_000 if name == bucket else 0 for name in BUCKETS)
    assert report.totals == expected
    (contact,) = report.contacts
    assert contact.name == "Globex"
    assert contact.buckets == expected


def test_a_bill_lands_in_the_bucket_of_its_days_past_due(session: Session) -> None:
    b = make_books(session)
    for days in (0, 1, 30, 31, 60, 61, 90, 91):
        due = AS_OF - dt.timedelta(days=days)
        b.bill("Staples", due - dt.timedelta(days=5), due, 100 + days)
    b.bill("Landlord", D(2024, 6, 1), None, 5_000)  # no due date: due on its date, 29 days
    report = reports.ap_aging(session, b.actor, b.cid, AS_OF)
    assert report.kind == "payable"
    staples = next(c for c in report.contacts if c.name == "Staples")
    assert staples.buckets == (100, 101 + 130, 131 + 160, 161 + 190, 191)
    landlord = next(c for c in report.contacts if c.name == "Landlord")
    assert landlord.buckets == (0, 5_000, 0, 0, 0)
    assert report.total == _control_balance(b, "2000", AS_OF) * -1


def test_aging_ignores_payments_after_the_date_and_documents_issued_after_it(
    session: Session,
) -> None:
    b = make_books(session)
    early = b.invoice("Globex", D(2024, 5, 1), D(2024, 5, 31), 30_000)
    b.receive(early, D(2024, 6, 10), 10_000)  # before as_of: reduces
    b.receive(early, D(2024, 7, 5), 20_000)  # after as_of: the invoice is paid now
    partly = b.invoice("Initech", D(2024, 6, 1), D(2024, 7, 1), 8_000)
    b.receive(partly, D(2024, 7, 2), 3_000)
    b.invoice("Hooli", D(2024, 7, 1), D(2024, 7, 31), 99_000)  # issued after as_of
    paid = b.invoice("Umbrella", D(2024, 4, 1), D(2024, 5, 1), 5_000)
    b.receive(paid, D(2024, 4, 15), 5_000)  # fully paid before as_of: not aged
    report = reports.ar_aging(session, b.actor, b.cid, AS_OF)
    assert {c.name: c.buckets for c in report.contacts} == {
        "Globex": (0, 20_000, 0, 0, 0),
        "Initech": (8_000, 0, 0, 0, 0),
    }
    assert early.status == "paid"
    data = report.to_json()
    assert data["totals"]["total"] == "280.00"
    assert data["currency"] == "USD"


def test_an_invoice_voided_after_the_date_still_counts_then(session: Session) -> None:
    b = make_books(session)
    inv = b.invoice("Globex", D(2024, 6, 1), D(2024, 6, 15), 4_000)
    b.void_invoice(inv, D(2024, 7, 10))
    gone = b.invoice("Initech", D(2024, 6, 1), D(2024, 6, 15), 6_000)
    b.void_invoice(gone, D(2024, 6, 20))
    report = reports.ar_aging(session, b.actor, b.cid, AS_OF)
    assert report.totals == (0, 4_000, 0, 0, 0)
    assert report.total == _control_balance(b, "1100", AS_OF)
    assert reports.ar_aging(session, b.actor, b.cid, D(2024, 7, 31)).total == 0


def test_aging_total_equals_the_control_account_on_any_date(session: Session) -> None:
    b = make_books(session)
    start = D(2024, 1, 1)
    for i in range(40):
        issued = start + dt.timedelta(days=i * 7)
        inv = b.invoice(f"Customer {i % 5}", issued, issued + dt.timedelta(days=30), 1_000 + i)
        if i % 3:
            b.receive(inv, issued + dt.timedelta(days=20 + i), 400)
        if i % 4 == 0:
            b.receive(inv, issued + dt.timedelta(days=45 + i), inv.total - inv.amount_paid)
        bill = b.bill(f"Vendor {i % 3}", issued, issued + dt.timedelta(days=15), 700 + i)
        if i % 2:
            b.pay_bill(bill, issued + dt.timedelta(days=10 + i), 700 + i)
    day = start
    while day <= D(2025, 3, 1):
        ar = reports.ar_aging(session, b.actor, b.cid, day)
        ap = reports.ap_aging(session, b.actor, b.cid, day)
        assert ar.total == _control_balance(b, "1100", day), day
        assert ap.total == -_control_balance(b, "2000", day), day
        assert sum(c.total for c in ar.contacts) == ar.total
        day += dt.timedelta(days=11)
