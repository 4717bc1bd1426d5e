"""Sales tax for a period: per rate, what was charged on sales and paid on purchases, the net
owed, and a tie-out against the movement on the tax accounts.

The per-rate figures come from the lines of posted invoices and expenses/bills, less those of
credit notes (which give tax back on sales) and vendor credits (on purchases), dated by their
posting, which is on the document's own date (an invoice's issue date, an expense's or credit
note's date), and taken back on the date of a void's reversing entry, so a period's report
never changes once its days are closed.

The tie-out is computed three ways that do not depend on each other: the movement on each tax
account (from the daily balances posting keeps), the tax the documents above put there, and
every other posting on the account in the period (a payment to the tax authority, a manual
adjustment), read from the journal. ``ties_out`` says movement = documents + other for every
account; if it does not, the documents and the ledger disagree (``newledger db verify`` names
the document).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import (
    Account,
    CreditNote,
    CreditNoteLine,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    TaxRate,
)
from newledger.ledger.reports.common import (
    Period,
    account_sums,
    authorize,
    money,
    report_currency,
    validate_period,
)

__all__ = ["SalesTax", "SalesTaxAccount", "SalesTaxRate", "sales_tax"]


@dataclass(frozen=True)
class SalesTaxRate:
    tax_rate_id: int
    name: str
    rate: Decimal
    kind: str
    account_id: int
    sales_net: int  # taxable sales at this rate (net of tax)
    sales_tax: int  # tax collected
    purchases_net: int
    purchases_tax: int  # tax paid (input tax)

    @property
    def net_owed(self) -> int:
        return self.sales_tax - self.purchases_tax


@dataclass(frozen=True)
class SalesTaxAccount:
    account_id: int
    code: str
    name: str
    movement: int  # credits less debits in the period: what the account says is owed more
    from_documents: int  # tax collected less tax paid, posted here by the documents
    other: int  # every other posting on the account in the period

    @property
    def ties_out(self) -> bool:
        return self.movement == self.from_documents + self.other


_SUMS = ("sales_net", "sales_tax", "purchases_net", "purchases_tax", "net_owed")


@dataclass(frozen=True)
class SalesTax:
    company_id: int
    currency: str
    period: Period
    rates: tuple[SalesTaxRate, ...]
    accounts: tuple[SalesTaxAccount, ...]

    def total(self, name: str) -> int:
        return sum(int(getattr(r, name)) for r in self.rates)

    @property
    def net_owed(self) -> int:
        return self.total("net_owed")

    @property
    def other_movement(self) -> int:
        return sum(a.other for a in self.accounts)

    @property
    def tax_account_movement(self) -> int:
        return sum(a.movement for a in self.accounts)

    @property
    def ties_out(self) -> bool:
        return all(a.ties_out for a in self.accounts) and (
            self.tax_account_movement == self.net_owed + self.other_movement
        )

    def to_json(self) -> dict[str, Any]:
        c = self.currency
        return {
            "report": "sales_tax",
            "company_id": self.company_id,
            "currency": c,
            "period": self.period.to_json(),
            "rates": [
                {
                    "tax_rate_id": r.tax_rate_id,
                    "name": r.name,
                    "rate": format(r.rate.normalize(), "f"),
                    "kind": r.kind,
                    "account_id": r.account_id,
                    **{name: money(int(getattr(r, name)), c) for name in _SUMS},
                }
                for r in self.rates
            ],
            "totals": {name: money(self.total(name), c) for name in _SUMS},
            "accounts": [
                {
                    "account_id": a.account_id,
                    "code": a.code,
                    "name": a.name,
                    "movement": money(a.movement, c),
                    "from_documents": money(a.from_documents, c),
                    "other": money(a.other, c),
                }
                for a in self.accounts
            ],
            "tax_account_movement": money(self.tax_account_movement, c),
            "other_movement": money(self.other_movement, c),
            "ties_out": self.ties_out,
        }


Figures = dict[int, list[int]]  # rate id -> [net, tax]


_LINES: dict[Any, tuple[Any, Any, Any]] = {
    Invoice: (InvoiceLine, InvoiceLine.invoice_id, Invoice.issue_date),
    Expense: (ExpenseLine, ExpenseLine.expense_id, Expense.date),
    CreditNote: (CreditNoteLine, CreditNoteLine.credit_note_id, CreditNote.date),
}


def _document_figures(
    session: Session,
    company_id: int,
    currency: str,
    period: Period,
    doc: type[Invoice] | type[Expense] | type[CreditNote],
    *,
    credit_kind: str | None = None,
) -> Figures:
    """Net and tax per rate of the lines of ``doc`` posted in the period, less those voided in
    it. Credit notes of ``credit_kind`` (sales or purchase) count negative: they give back tax
    charged on sales or paid on purchases.

    Two reads, each sized to what it needs at a million lines. The postings: the taxed lines
    joined to their documents, dated by the document's own date, which is its posting's
    (``newledger db verify`` checks it), so no journal entry is read; SQLite is kept off the
    documents' company indexes (a ``+`` on the column), which would visit every document of the
    company in index order, and scans the taxed lines instead. The voids: the voided documents
    (by the status index; verify checks that exactly they name a void entry), with the date of
    that entry.
    """
    line, owner, day = _LINES[doc]
    net = case((doc.tax_mode == "inclusive", line.amount - line.tax_amount), else_=line.amount)
    kind = () if credit_kind is None else (CreditNote.kind == credit_kind,)
    taxed = select(line.tax_rate_id, func.sum(net), func.sum(line.tax_amount)).where(
        line.company_id == company_id,
        line.tax_rate_id.is_not(None),
        doc.currency == currency,
        *kind,
    )
    doc_company: Any = doc.company_id
    if session.get_bind().dialect.name == "sqlite":
        doc_company = literal_column(f"+{doc.__tablename__}.company_id")
    posted = (
        taxed.select_from(line)
        .join(doc, doc.id == owner)
        .where(
            doc_company == company_id,
            doc.journal_entry_id.is_not(None),
            day >= period.start,
            day <= period.end,
        )
    )
    voided = (
        taxed.select_from(doc)
        .join(JournalEntry, JournalEntry.id == doc.void_entry_id)
        .join(line, owner == doc.id)
        .where(
            doc.company_id == company_id,
            doc.status == "voided",
            JournalEntry.date >= period.start,
            JournalEntry.date <= period.end,
        )
    )
    out: Figures = defaultdict(lambda: [0, 0])
    sign_of_doc = -1 if credit_kind is not None else 1
    for stmt, sign in ((posted, sign_of_doc), (voided, -sign_of_doc)):
        for rate_id, net_sum, tax_sum in session.execute(stmt.group_by(line.tax_rate_id)):
            out[rate_id][0] += sign * int(net_sum or 0)
            out[rate_id][1] += sign * int(tax_sum or 0)
    return out


_DOCUMENT_SOURCES = ("invoice", "expense", "credit_note")


def _other_movement(
    session: Session, company_id: int, currency: str, period: Period, account_ids: list[int]
) -> dict[int, int]:
    """Credits less debits on the tax accounts in the period from entries that are neither a
    document's posting nor its void, as each entry's source says: an original entry whose
    source is an invoice, an expense or a credit note is its posting, the reversal of one its void
    (``newledger db verify`` checks that each posted document names exactly such an entry, and
    that no other entry claims the document)."""
    reversed_entry = aliased(JournalEntry)
    source = func.coalesce(reversed_entry.source_type, JournalEntry.source_type)
    rows = session.execute(
        select(JournalLine.account_id, func.sum(JournalLine.amount))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_entry_id)
        .where(
            JournalLine.company_id == company_id,
            JournalLine.currency == currency,
            JournalLine.account_id.in_(account_ids),
            JournalLine.date >= period.start,
            JournalLine.date <= period.end,
            source.not_in(_DOCUMENT_SOURCES),
        )
        .group_by(JournalLine.account_id)
    )
    return {account_id: -int(total or 0) for account_id, total in rows}


def sales_tax(
    session: Session,
    actor: Actor,
    company_id: int,
    start: dt.date,
    end: dt.date,
    *,
    currency: str | None = None,
) -> SalesTax:
    """Tax collected and paid per rate over ``start``..``end`` (see the module docstring).
    Rates with no activity in the period are left out; every tax account is shown."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    period = validate_period(start, end)
    tax_rates = list(
        session.scalars(
            select(TaxRate).where(TaxRate.company_id == company_id).order_by(TaxRate.name)
        )
    )
    sales = _document_figures(session, company_id, cur, period, Invoice)
    purchases = _document_figures(session, company_id, cur, period, Expense)
    for kind, figures in (("sales", sales), ("purchase", purchases)):
        credits = _document_figures(session, company_id, cur, period, CreditNote, credit_kind=kind)
        for rate_id, (net_sum, tax_sum) in credits.items():
            figures[rate_id][0] += net_sum
            figures[rate_id][1] += tax_sum
    rows = []
    from_documents: dict[int, int] = defaultdict(int)
    for r in tax_rates:
        s, p = sales.get(r.id, [0, 0]), purchases.get(r.id, [0, 0])
        from_documents[r.account_id] += s[1] - p[1]
        if any(s) or any(p):
            rows.append(
                SalesTaxRate(
                    r.id, r.name, Decimal(r.rate), r.kind, r.account_id, s[0], s[1], p[0], p[1]
                )
            )
    account_ids = sorted({r.account_id for r in tax_rates})
    sums = account_sums(
        session, company_id, currency=cur, start=start, end=end, account_ids=account_ids
    )
    other = _other_movement(session, company_id, cur, period, account_ids) if account_ids else {}
    accounts = session.execute(
        select(Account.id, Account.code, Account.name)
        .where(Account.id.in_(account_ids))
        .order_by(Account.code)
    )
    tie = tuple(
        SalesTaxAccount(
            account_id,
            code,
            name,
            sums.get((account_id, cur), (0, 0))[1] - sums.get((account_id, cur), (0, 0))[0],
            from_documents[account_id],
            other.get(account_id, 0),
        )
        for account_id, code, name in accounts
    )
    return SalesTax(company_id, cur, period, tuple(rows), tie)
