"""An account's ledger for a period: its journal lines in date order, each with the running
balance from the balance at the start, and the document each line came from.

This is where a report figure leads: the P&L, balance sheet, trial balance, cash position and
expenses by category all sum the same lines. The lines are the journal service's
(``list_entries`` with the account filter, in date order: it checks ``journal:read`` and pages
like every list); the opening balance is read from the daily balances the reports read, so the
ledger's closing balance and the report's figure are the same number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger._common import company_for, company_row
from newledger.ledger.chart import ACCOUNT_TYPES
from newledger.ledger.journal import ENTRY_ORDERS, EntryFilters, list_entries
from newledger.ledger.models import Account, Expense, Invoice, JournalEntry, JournalLine, Payment
from newledger.ledger.reports.common import (
    AccountRef,
    Period,
    account_sums,
    report_currency,
    validate_period,
)
from newledger.pagination import PageRequest

__all__ = [
    "LEDGER_PAGE_SIZE",
    "AccountLedger",
    "DocumentRef",
    "LedgerLine",
    "account_ledger",
    "entry_documents",
]

LEDGER_PAGE_SIZE = 200  # entries per page
_ORDER = "dated"


@dataclass(frozen=True)
class DocumentRef:
    """What a journal entry was posted for: ``kind`` is invoice, expense or entry (a bank
    transaction, manual or opening entry, which has no page of its own but its entry's)."""

    kind: str
    id: int
    label: str


@dataclass(frozen=True)
class LedgerLine:
    entry_id: int
    line_id: int
    date: dt.date
    memo: str  # the line's description, else the entry's memo
    source_type: str
    contact_id: int | None
    amount: int  # debit positive
    balance: int  # running, debit positive, after this line

    @property
    def debit(self) -> int | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> int | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class AccountLedger:
    account: AccountRef
    currency: str
    period: Period
    opening: int  # at the start of the period, debit positive
    debits: int  # over the whole period, not only this page
    credits: int
    page_opening: int  # before this page's first line
    lines: tuple[LedgerLine, ...]
    next_cursor: str | None

    @property
    def closing(self) -> int:
        return self.opening + self.debits - self.credits

    @property
    def sign(self) -> int:
        """1 for debit-natural accounts, -1 for credit-natural: multiply to show a balance the
        way the reports show it."""
        return ACCOUNT_TYPES.get(self.account.type, 1)


def account_ledger(
    session: Session,
    actor: Actor,
    account_id: int,
    start: dt.date,
    end: dt.date,
    *,
    currency: str | None = None,
    cursor: str | None = None,
) -> AccountLedger:
    """One page of ``account_id``'s lines in ``currency`` (default: the home currency) dated in
    [start, end]. Needs ``journal:read``."""
    actor.require(Permission.JOURNAL_READ)
    company = company_for(session, actor)
    period = validate_period(start, end)
    row = company_row(session, Account, company.id, account_id)
    account = AccountRef(row.id, row.code, row.name, row.type, row.subtype)
    cur = report_currency(company, currency)
    before: dict[tuple[int, str], tuple[int, int]] = {}
    if start > dt.date.min:
        day_before = start - dt.timedelta(days=1)
        before = account_sums(
            session, company.id, currency=cur, end=day_before, account_ids=[account.id]
        )
    during = account_sums(
        session, company.id, currency=cur, start=start, end=end, account_ids=[account.id]
    )
    dr0, cr0 = before.get((account.id, cur), (0, 0))
    debits, credits = during.get((account.id, cur), (0, 0))
    opening = dr0 - cr0
    filters = EntryFilters(date_from=start, date_to=end, account_id=account.id)
    request = PageRequest(limit=LEDGER_PAGE_SIZE, cursor=cursor, order=_ORDER)
    page = list_entries(session, actor, filters, request)
    page_opening = opening
    if cursor is not None:
        page_opening += _moved_through(session, company.id, account.id, cur, start, cursor)
    balance = page_opening
    lines: list[LedgerLine] = []
    for entry in page.items:
        for ln in sorted(entry.lines, key=lambda x: x.id):
            if ln.account_id != account.id or ln.currency != cur:
                continue
            balance += ln.amount
            memo = ln.description or entry.memo
            lines.append(
                LedgerLine(
                    entry.id,
                    ln.id,
                    entry.date,
                    memo,
                    entry.source_type,
                    ln.contact_id,
                    ln.amount,
                    balance,
                )
            )
    return AccountLedger(
        account,
        cur,
        period,
        opening,
        debits,
        credits,
        page_opening,
        tuple(lines),
        page.next_cursor,
    )


def _moved_through(
    session: Session, company_id: int, account_id: int, currency: str, start: dt.date, cursor: str
) -> int:
    """The account's net movement from ``start`` up to and including the entry ``cursor``
    names (what the pages before this one showed)."""
    day, entry_id = ENTRY_ORDERS[_ORDER].decode(cursor)
    jl = JournalLine
    total = session.scalar(
        select(func.coalesce(func.sum(jl.amount), 0)).where(
            jl.company_id == company_id,
            jl.account_id == account_id,
            jl.currency == currency,
            jl.date >= start,
            or_(jl.date < day, and_(jl.date == day, jl.entry_id <= entry_id)),
        )
    )
    return int(total or 0)


def entry_documents(
    session: Session, company_id: int, entry_ids: Iterable[int]
) -> dict[int, DocumentRef]:
    """The document behind each entry: an invoice or expense (directly, through the payment
    applied to it, or through the entry a void reversed), else the entry itself."""
    wanted = sorted(set(entry_ids))
    if not wanted:
        return {}
    je = JournalEntry
    rows = session.execute(
        select(je.id, je.source_type, je.source_id, je.reverses_entry_id).where(
            je.company_id == company_id, je.id.in_(wanted)
        )
    ).all()
    reversed_ids = [r.reverses_entry_id for r in rows if r.reverses_entry_id is not None]
    original_types: dict[int, str] = {}
    if reversed_ids:
        query = select(je.id, je.source_type).where(
            je.company_id == company_id, je.id.in_(reversed_ids)
        )
        original_types = {entry_id: kind for entry_id, kind in session.execute(query)}
    payment_ids = [r.source_id for r in rows if r.source_type == "payment" and r.source_id]
    payments: dict[int, tuple[int | None, int | None]] = {}
    if payment_ids:
        applied = select(Payment.id, Payment.invoice_id, Payment.expense_id).where(
            Payment.company_id == company_id, Payment.id.in_(payment_ids)
        )
        payments = {pid: (inv, exp) for pid, inv, exp in session.execute(applied)}
    found: dict[int, tuple[str, int]] = {}
    for r in rows:
        kind = r.source_type
        if r.reverses_entry_id is not None:
            kind = original_types.get(r.reverses_entry_id, kind)
        if kind in ("invoice", "expense") and r.source_id is not None:
            found[r.id] = (kind, r.source_id)
        elif kind == "payment" and r.source_id in payments:
            invoice_id, expense_id = payments[r.source_id]
            if invoice_id is not None:
                found[r.id] = ("invoice", invoice_id)
            elif expense_id is not None:
                found[r.id] = ("expense", expense_id)
    labels = _labels(session, company_id, found.values())
    return {
        r.id: DocumentRef(*found[r.id], labels[found[r.id]])
        if r.id in found
        else DocumentRef("entry", r.id, f"Entry #{r.id}")
        for r in rows
    }


def _labels(
    session: Session, company_id: int, refs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Invoice numbers; "Bill #7" or "Expense #7" (what the expense pages call them)."""
    refs = list(refs)
    invoice_ids = {i for kind, i in refs if kind == "invoice"}
    expense_ids = {i for kind, i in refs if kind == "expense"}
    labels = {(kind, i): f"{kind.capitalize()} #{i}" for kind, i in refs}
    if invoice_ids:
        for invoice_id, number in session.execute(
            select(Invoice.id, Invoice.number).where(
                Invoice.company_id == company_id, Invoice.id.in_(invoice_ids)
            )
        ):
            labels[("invoice", invoice_id)] = number or f"Invoice #{invoice_id}"
    if expense_ids:
        for expense_id, kind in session.execute(
            select(Expense.id, Expense.kind).where(
                Expense.company_id == company_id, Expense.id.in_(expense_ids)
            )
        ):
            labels[("expense", expense_id)] = f"{kind.capitalize()} #{expense_id}"
    return labels
