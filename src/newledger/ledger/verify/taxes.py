"""Tax postings: a posted document's entry moves its tax rates' accounts by its ``tax_total``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import case, func, select

from newledger.ledger.models import CreditNote, Invoice, JournalLine, TaxRate
from newledger.ledger.verify.documents import document_label
from newledger.ledger.verify.drift import DOCUMENT_TOTAL, Books, Document, Drift, money

__all__ = ["tax_postings"]


def tax_postings(books: Books, model: Document) -> Iterator[Drift]:
    """The lines of each posted document's own entry on the company's tax accounts (the
    accounts its tax rates post to) add up to the document's ``tax_total``: credited for an
    invoice (tax collected) and a vendor credit, debited for an expense or bill (tax paid) and a
    customer's credit note."""
    tax_accounts = select(TaxRate.account_id).where(TaxRate.company_id == books.cid)
    posted = (
        select(JournalLine.entry_id.label("entry_id"), func.sum(JournalLine.amount).label("tax"))
        .where(JournalLine.company_id == books.cid, JournalLine.account_id.in_(tax_accounts))
        .group_by(JournalLine.entry_id)
        .subquery()
    )
    sign: Any = -1 if model is Invoice else 1
    if model is CreditNote:  # the mirror of an invoice (sales) or a bill (purchase)
        sign = case((CreditNote.kind == "sales", 1), else_=-1)
    actual = func.coalesce(posted.c.tax, 0) * sign
    rows = books.session.execute(
        select(document_label(model), model.currency, model.tax_total, actual)
        .outerjoin(posted, posted.c.entry_id == model.journal_entry_id)
        .where(
            model.company_id == books.cid,
            model.journal_entry_id.is_not(None),
            model.tax_total != actual,
        )
        .order_by(model.id)
    )
    for label, cur, want, got in rows:
        yield books.drift(
            DOCUMENT_TOTAL,
            label,
            money(want, cur),
            money(got, cur),
            "the tax posted to the tax accounts differs from the document's tax total",
        )
