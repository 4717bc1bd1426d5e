"""Small hand-built books for the report tests.

Documents are inserted as rows and posted with ``posting.post_entry`` following the team's
posting conventions (invoice: Dr AR / Cr income; payment received: Dr bank / Cr AR; bill:
Dr expense / Cr AP; payment made: Dr AP / Cr bank), so the tests do not depend on the
document services being written in parallel.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.models import Company
from newledger.identity.services import create_company
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.models import (
    Account,
    BankAccount,
    Contact,
    Expense,
    Invoice,
    JournalEntry,
    Payment,
)
from newledger.ledger.posting import LineSpec, post_entry, reverse_entry

D = dt.date
_numbers = itertools.count(1)


@dataclass
class Books:
    session: Session
    company: Company
    accounts: dict[str, Account]
    bank: BankAccount
    contacts: dict[str, Contact] = field(default_factory=dict)

    @property
    def cid(self) -> int:
        return self.company.id

    @property
    def actor(self) -> Actor:
        return Actor.system(self.company.id)

    @property
    def cur(self) -> str:
        return self.company.home_currency

    def acct(self, code: str) -> int:
        return self.accounts[code].id

    def contact(self, name: str, kind: str = "customer") -> Contact:
        if name not in self.contacts:
            c = Contact(company_id=self.cid, kind=kind, name=name)
            self.session.add(c)
            self.session.flush()
            self.contacts[name] = c
        return self.contacts[name]

    def post(self, day: dt.date, *lines: tuple[str, int], source: str = "manual") -> JournalEntry:
        return post_entry(
            self.session,
            company_id=self.cid,
            date=day,
            lines=[LineSpec(self.acct(code), amount, self.cur) for code, amount in lines],
            source_type=source,
        )

    def invoice(
        self, customer: str, issued: dt.date, due: dt.date, amount: int, income: str = "4000"
    ) -> Invoice:
        contact = self.contact(customer)
        inv = Invoice(
            company_id=self.cid,
            number=f"INV-{next(_numbers):05d}",
            contact_id=contact.id,
            issue_date=issued,
            due_date=due,
            currency=self.cur,
            status="approved",
            total=amount,
        )
        self.session.add(inv)
        self.session.flush()
        entry = post_entry(
            self.session,
            company_id=self.cid,
            date=issued,
            lines=[
                LineSpec(self.acct("1100"), amount, self.cur, contact.id),
                LineSpec(self.acct(income), -amount, self.cur),
            ],
            source_type="invoice",
            source_id=inv.id,
        )
        inv.journal_entry_id = entry.id
        self.session.flush()
        return inv

    def receive(self, inv: Invoice, day: dt.date, amount: int) -> Payment:
        pay = Payment(
            company_id=self.cid,
            direction="received",
            contact_id=inv.contact_id,
            invoice_id=inv.id,
            bank_account_id=self.bank.id,
            date=day,
            amount=amount,
            currency=self.cur,
        )
        self.session.add(pay)
        self.session.flush()
        entry = post_entry(
            self.session,
            company_id=self.cid,
            date=day,
            lines=[
                LineSpec(self.bank.account_id, amount, self.cur),
                LineSpec(self.acct("1100"), -amount, self.cur, inv.contact_id),
            ],
            source_type="payment",
            source_id=pay.id,
        )
        pay.journal_entry_id = entry.id
        inv.amount_paid += amount
        inv.status = "paid" if inv.amount_paid == inv.total else "partially_paid"
        self.session.flush()
        return pay

    def void_invoice(self, inv: Invoice, day: dt.date) -> None:
        entry = self.session.get(JournalEntry, inv.journal_entry_id)
        assert entry is not None
        rev = reverse_entry(self.session, entry, date=day, memo="void")
        inv.void_entry_id = rev.id
        inv.status = "voided"
        self.session.flush()

    def bill(
        self, vendor: str, day: dt.date, due: dt.date | None, amount: int, expense: str = "6500"
    ) -> Expense:
        contact = self.contact(vendor, "vendor")
        bill = Expense(
            company_id=self.cid,
            kind="bill",
            contact_id=contact.id,
            date=day,
            due_date=due,
            currency=self.cur,
            status="approved",
            total=amount,
        )
        self.session.add(bill)
        self.session.flush()
        entry = post_entry(
            self.session,
            company_id=self.cid,
            date=day,
            lines=[
                LineSpec(self.acct(expense), amount, self.cur),
                LineSpec(self.acct("2000"), -amount, self.cur, contact.id),
            ],
            source_type="expense",
            source_id=bill.id,
        )
        bill.journal_entry_id = entry.id
        self.session.flush()
        return bill

    def pay_bill(self, bill: Expense, day: dt.date, amount: int) -> Payment:
        pay = Payment(
            company_id=self.cid,
            direction="made",
            contact_id=bill.contact_id,
            expense_id=bill.id,
            bank_account_id=self.bank.id,
            date=day,
            amount=amount,
            currency=self.cur,
        )
        self.session.add(pay)
        self.session.flush()
        entry = post_entry(
            self.session,
            company_id=self.cid,
            date=day,
            lines=[
                LineSpec(self.acct("2000"), amount, self.cur, bill.contact_id),
                LineSpec(self.bank.account_id, -amount, self.cur),
            ],
            source_type="payment",
            source_id=pay.id,
        )
        pay.journal_entry_id = entry.id
        bill.amount_paid += amount
        bill.status = "paid" if bill.amount_paid == bill.total else "partially_paid"
        self.session.flush()
        return pay


def make_books(
    session: Session, slug: str = "acme", *, currency: str = "USD", fy_month: int = 1
) -> Books:
    company = create_company(
        session,
        name=f"{slug.title()} Ltd",
        slug=slug,
        home_currency=currency,
        fiscal_year_start_month=fy_month,
    )
    accounts = create_standard_chart(session, company)
    bank = session.query(BankAccount).filter_by(account_id=accounts["1000"].id).one()
    return Books(session, company, accounts, bank)


def random_books(session: Session, seed: int) -> Books:
    """Books with 150 random balanced entries in USD and EUR, and 20 invoices partly paid."""
    rng = random.Random(seed)
    b = make_books(session, f"rnd{seed}", fy_month=rng.choice([1, 4, 7, 10]))
    codes = list(b.accounts)
    for _ in range(150):
        day = D(2023, 1, 1) + dt.timedelta(days=rng.randrange(800))
        currency = "EUR" if rng.random() < 0.1 else "USD"
        n = rng.randint(2, 5)
        amounts = [rng.randint(1, 500_000) * rng.choice([1, -1]) for _ in range(n - 1)]
        amounts.append(-sum(amounts))
        if amounts[-1] == 0:
            amounts[-1], amounts[0] = 1, amounts[0] - 1
        if 0 in amounts:
            continue
        post_entry(
            session,
            company_id=b.cid,
            date=day,
            lines=[LineSpec(b.acct(rng.choice(codes)), amt, currency) for amt in amounts],
            source_type="manual",
        )
    for _ in range(20):
        issued = D(2023, 1, 1) + dt.timedelta(days=rng.randrange(700))
        inv = b.invoice("C", issued, issued + dt.timedelta(days=30), rng.randint(100, 9_999))
        if rng.random() < 0.6:
            b.receive(inv, issued + dt.timedelta(days=rng.randrange(90)), inv.total // 2)
    session.flush()
    return b


@dataclass
class Sample:
    """What ``post_sample`` made, for tests that follow a figure to its documents."""

    services_invoice: Invoice  # the one invoice on 4100 Services Revenue, open at the end
    paid_invoice: Invoice
    open_bill: Expense


def post_sample(b: Books) -> Sample:
    """Demo-like books over 2023 and 2024: an opening balance, invoices paid and open, bills
    paid and open, rent, a refund, a transfer, other income, and last year's results (so prior
    year earnings and year-ago comparisons have something to show). Everything is in the home
    currency; the latest date is 2024-03-15."""
    b.post(D(2024, 1, 1), ("1000", 1_000_000), ("3000", -1_000_000), source="opening")
    paid = b.invoice("Globex", D(2024, 1, 10), D(2024, 2, 9), 250_000)
    b.receive(paid, D(2024, 2, 5), 250_000)
    services = b.invoice("Initech", D(2024, 2, 15), D(2024, 3, 16), 120_000, income="4100")
    partly = b.invoice("Globex", D(2023, 11, 1), D(2023, 12, 1), 80_000)
    b.receive(partly, D(2024, 1, 15), 30_000)
    b.post(D(2024, 1, 20), ("5000", 40_000), ("1000", -40_000))
    b.post(D(2024, 1, 31), ("6700", 150_000), ("1000", -150_000))
    b.post(D(2024, 2, 29), ("6700", 150_000), ("1000", -150_000))
    b.post(D(2024, 2, 12), ("6500", 12_345), ("2100", -12_345))
    b.post(D(2024, 2, 13), ("6500", -2_345), ("2100", 2_345))  # a refund
    b.post(D(2024, 2, 20), ("1000", 500), ("4900", -500))
    b.post(D(2024, 2, 21), ("8000", 1_000), ("1000", -1_000))
    b.post(D(2024, 2, 28), ("1010", 100_000), ("1000", -100_000))
    paid_bill = b.bill("Staples", D(2024, 1, 5), D(2024, 2, 4), 33_300, expense="6500")
    b.pay_bill(paid_bill, D(2024, 2, 1), 33_300)
    open_bill = b.bill("Landlord", D(2024, 3, 1), None, 75_000, expense="6700")
    b.bill("Staples", D(2023, 12, 20), D(2024, 1, 19), 4_400, expense="6500")
    # Last year, to test prior-year earnings and year-ago comparisons.
    b.post(D(2023, 2, 10), ("1000", 77_700), ("4000", -77_700))
    b.post(D(2023, 12, 31), ("1000", -7_700), ("7900", 7_700))
    b.post(D(2024, 3, 15), ("1000", 9_900), ("4000", -9_900))
    b.session.flush()
    return Sample(services, paid, open_bill)
