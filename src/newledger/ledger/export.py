"""Export the books as a ledger-cli journal, so users can take their data elsewhere.

One transaction per journal entry, in date order; accounts are named by type
("Assets:Business Checking"); amounts carry their ISO currency as a suffix commodity with the
currency's exact minor digits ("12.50 USD", "1250 JPY"), which ``ledger bal`` parses exactly.
The journal is streamed: lines are read in batches (``yield_per``) and written as they come,
so a book of a million lines never sits in memory as one string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import Account, JournalEntry, JournalLine
from newledger.ledger.reports.common import authorize
from newledger.money import format_minor

__all__ = ["TYPE_ROOTS", "iter_ledger_journal", "ledger_account_names", "write_ledger_journal"]

TYPE_ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "equity": "Equity",
    "income": "Income",
    "expense": "Expenses",
}
BATCH = 5000
# Characters with meaning in a ledger account name or posting: ':' splits sub-accounts, two
# spaces or a tab end the name, ';' starts a note, brackets and parens mark virtual postings.
_UNSAFE = re.compile(r"[:;\t\[\]()@=*!]|\s{2,}")
_TEXT_UNSAFE = re.compile(r"[\r\n\t;]+")


def _clean_text(value: str) -> str:
    return _TEXT_UNSAFE.sub(" ", value).strip()


def ledger_account_names(session: Session, company_id: int) -> dict[int, str]:
    """account id -> unique ledger name such as ``Assets:Business Checking``."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    rows = session.execute(
        select(Account.id, Account.code, Account.name, Account.type)
        .where(Account.company_id == company_id)
        .order_by(Account.code, Account.id)
    )
    for account_id, code, name, type_ in rows:
        leaf = _UNSAFE.sub(" ", name).strip().strip("-") or code
        full = f"{TYPE_ROOTS.get(type_, 'Other')}:{' '.join(leaf.split())}"
        if full.lower() in taken:
            full = f"{full} {code}"
        taken.add(full.lower())
        names[account_id] = full
    return names


def iter_ledger_journal(session: Session, actor: Actor, company_id: int) -> Iterator[str]:
    """Yield the journal one transaction (a text block) at a time."""
    company = authorize(session, actor, company_id, Permission.JOURNAL_READ)
    names = ledger_account_names(session, company_id)
    yield f"; {_clean_text(company.name)} ({company.slug}): exported from NewLedger\n"
    stmt = (
        select(
            JournalEntry.id,
            JournalEntry.date,
            JournalEntry.memo,
            JournalEntry.source_type,
            JournalLine.account_id,
            JournalLine.currency,
            JournalLine.amount,
        )
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(JournalEntry.company_id == company_id, JournalLine.company_id == company_id)
        .order_by(JournalEntry.date, JournalEntry.id, JournalLine.id)
        .execution_options(yield_per=BATCH)
    )
    current: int | None = None
    block: list[str] = []
    for entry_id, date, memo, source_type, account_id, currency, amount in session.execute(stmt):
        if entry_id != current:
            if block:
                yield "".join(block)
            current = entry_id
            payee = _clean_text(memo) or source_type
            block = [f"\n{date.isoformat()} * ({entry_id}) {payee}\n"]
        block.append(f"    {names[account_id]}  {format_minor(amount, currency)} {currency}\n")
    if block:
        yield "".join(block)


def write_ledger_journal(session: Session, actor: Actor, company_id: int, out: TextIO) -> int:
    """Write the journal to ``out``; returns the number of transactions written."""
    count = -1  # the header block is not a transaction
    for block in iter_ledger_journal(session, actor, company_id):
        out.write(block)
        count += 1
    return count
