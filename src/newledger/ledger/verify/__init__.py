"""Verify the books: recompute every derived figure from the rows it derives from, and compare.

Journal lines are the truth. From them follow the daily balances (``account_daily_balances``),
the account totals (``account_balances``) and the rule that every entry balances per currency;
from document lines (invoices, expenses, credit notes) follow document totals and tax totals,
and from those the tax each posting puts on the tax accounts; from payments and credit
allocations follow amounts paid, credited, allocated and refunded, and statuses; and
every posted document has exactly one original posting whose source is that document (a voided
one also has its reversal).

Each check is one set-based query per company (GROUP BY, joins), so the cost follows the rows the
database scans, not Python loops over lines: ``newledger db verify`` stays usable on books of a
million lines. A check returns only the rows that disagree. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from newledger.identity.models import Company
from newledger.ledger.models import (
    CreditNote,
    CreditNoteLine,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
)
from newledger.ledger.verify import credits, documents, figures, postings, taxes
from newledger.ledger.verify.drift import OVERFLOW, Books, Drift

__all__ = ["Drift", "count_books", "verify_books"]

Check = Callable[[Books], Iterator[Drift]]

CHECKS: list[tuple[str, Check]] = [
    ("daily balances", figures.daily_balances),
    ("account totals", figures.account_totals),
    ("stored figures", figures.non_integers),
    ("entry balances", figures.unbalanced_entries),
    ("entry lines", figures.entry_lines),
    (
        "invoice totals",
        lambda b: documents.document_totals(b, Invoice, InvoiceLine, InvoiceLine.invoice_id),
    ),
    (
        "expense totals",
        lambda b: documents.document_totals(b, Expense, ExpenseLine, ExpenseLine.expense_id),
    ),
    (
        "credit note totals",
        lambda b: documents.document_totals(
            b, CreditNote, CreditNoteLine, CreditNoteLine.credit_note_id
        ),
    ),
    ("invoice amounts paid", lambda b: documents.amounts_paid(b, Invoice)),
    ("expense amounts paid", lambda b: documents.amounts_paid(b, Expense)),
    ("credit note allocations", credits.credit_figures),
    ("invoice postings", lambda b: postings.document_postings(b, Invoice, "invoice")),
    ("expense postings", lambda b: postings.document_postings(b, Expense, "expense")),
    ("credit note postings", lambda b: postings.document_postings(b, CreditNote, "credit_note")),
    ("invoice tax postings", lambda b: taxes.tax_postings(b, Invoice)),
    ("expense tax postings", lambda b: taxes.tax_postings(b, Expense)),
    ("credit note tax postings", lambda b: taxes.tax_postings(b, CreditNote)),
    ("payment postings", postings.payment_postings),
    ("bank line postings", postings.bank_postings),
    ("orphan postings", postings.orphan_postings),
]


def _run(books: Books) -> Iterator[Drift]:
    for name, check in CHECKS:
        try:
            found = list(check(books))
        except OperationalError as exc:
            # SQLite's SUM() refuses to pass 64 bits; such books cannot be compared exactly.
            if "integer overflow" not in str(exc.orig):
                raise
            found = [
                books.drift(
                    OVERFLOW,
                    name,
                    "sums within 64 bits",
                    "integer overflow",
                    f"{name}: a sum of stored figures passes 64 bits",
                )
            ]
        yield from found


def verify_books(session: Session, company_id: int | None = None) -> list[Drift]:
    """Every drift in the books of one company (``company_id``) or of all companies, ordered by
    company; an empty list means the books agree with themselves. Reads only."""
    query = select(Company).order_by(Company.id)
    if company_id is not None:
        query = query.where(Company.id == company_id)
    companies = list(session.scalars(query))
    return [drift for company in companies for drift in _run(Books(session, company))]


def count_books(session: Session, company_id: int | None = None) -> tuple[int, int]:
    """(companies, journal entries) that ``verify_books`` looks at."""
    companies = select(func.count()).select_from(Company)
    entries = select(func.count()).select_from(JournalEntry)
    if company_id is not None:
        companies = companies.where(Company.id == company_id)
        entries = entries.where(JournalEntry.company_id == company_id)
    return session.scalar(companies) or 0, session.scalar(entries) or 0
