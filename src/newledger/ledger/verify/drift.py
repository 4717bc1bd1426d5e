"""What a drift is, and the books of one company the checks read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.identity.models import Company
from newledger.ledger.models import Account, CreditNote, Expense, Invoice
from newledger.money import format_minor

__all__ = ["Books", "Document", "Drift", "money"]

# What a drift is about.
DAILY_BALANCE = "daily_balance"
ACCOUNT_TOTAL = "account_total"
NOT_INTEGER = "not_integer"
UNBALANCED_ENTRY = "unbalanced_entry"
ENTRY_LINES = "entry_lines"
DOCUMENT_TOTAL = "document_total"
AMOUNT_PAID = "amount_paid"
STATUS = "status"
POSTING = "posting"
OVERFLOW = "overflow"

OPEN = ("approved", "partially_paid", "paid", "applied")  # posted and not voided
POSTED = (*OPEN, "voided")
Document = type[Invoice] | type[Expense] | type[CreditNote]


@dataclass(frozen=True)
class Drift:
    """One derived figure that disagrees with what it derives from."""

    company: str  # the company's slug
    kind: str  # one of the constants above
    subject: str  # the account ("account 1100 Accounts receivable") or document ("invoice INV-7")
    expected: str  # recomputed from the source rows
    actual: str  # stored
    message: str


def money(value: Any, currency: str) -> str:
    """Minor units as a decimal string; a stored non-integer (SQLite REAL) shows as it is."""
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 2**63):
        return f"{value!r} (not an integer)"
    return f"{format_minor(int(value), currency)} {currency}"


class Books:
    """One company's books as the checks see them: the session, and names for its accounts."""

    def __init__(self, session: Session, company: Company) -> None:
        self.session = session
        self.company = company
        self.cid = company.id
        self._accounts: dict[int, str] | None = None

    def drift(self, kind: str, subject: str, expected: str, actual: str, message: str) -> Drift:
        return Drift(self.company.slug, kind, subject, expected, actual, message)

    def account(self, account_id: int) -> str:
        if self._accounts is None:
            self._accounts = {
                id_: f"account {code} {name}"
                for id_, code, name in self.session.execute(
                    select(Account.id, Account.code, Account.name).where(
                        Account.company_id == self.cid
                    )
                )
            }
        return self._accounts.get(account_id, f"account #{account_id} (not in this company)")
