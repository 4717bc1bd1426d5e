"""One posting per source: documents and payments name their own entry, posted once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from newledger.ledger.models import (
    BankTransaction,
    CreditNote,
    Expense,
    Invoice,
    JournalEntry,
    Payment,
)
from newledger.ledger.verify.documents import document_label
from newledger.ledger.verify.drift import POSTED, POSTING, Books, Document, Drift

__all__ = ["bank_postings", "document_postings", "orphan_postings", "payment_postings"]


def _originals(books: Books, source_type: str) -> Any:
    """Original (non-reversal) postings per source id."""
    je = JournalEntry
    return (
        select(je.source_id.label("source_id"), func.count().label("n"))
        .where(
            je.company_id == books.cid,
            je.source_type == source_type,
            je.reverses_entry_id.is_(None),
        )
        .group_by(je.source_id)
        .subquery()
    )


def _not_its_own(books: Books, posted: Any, source_type: str, source_id: Any) -> Any:
    """The entry a row names (``posted``, outer-joined) is missing, another company's, another
    source's, or a reversal."""
    return or_(
        posted.id.is_(None),
        posted.company_id != books.cid,
        posted.source_type != source_type,
        posted.source_id != source_id,
        posted.reverses_entry_id.is_not(None),
    )


def _posting_drifts(
    books: Books,
    label: str,
    source: str,
    count: int,
    entry: Sequence[Any],
    named: int | None,
    days: tuple[Any, Any] | None = None,
) -> Iterator[Drift]:
    """Drifts of a posted source: ``count`` originals, and ``named`` must be one of them;
    ``days``, (the entry's date, the source's own date), must agree when given."""
    if count != 1:
        yield books.drift(
            POSTING,
            label,
            "1 original posting",
            f"{count} original postings",
            "posted more than once" if count > 1 else "no posting has it as its source",
        )
    entry_id, company_id, source_type, source_id, reverses = entry
    if entry_id is None:
        actual = f"journal entry #{named}, which does not exist" if named else "none"
    elif company_id != books.cid or f"{source_type} #{source_id}" != source or reverses:
        whose = f"{source_type} #{source_id}" + (" (a reversal)" if reverses else "")
        actual = f"journal entry #{entry_id} of {whose}"
    elif days is not None and days[0] != days[1]:
        # The sales tax report dates a document's tax by the document's own date.
        entry_day, own_day = days
        yield books.drift(
            POSTING,
            label,
            f"posted on its date, {own_day.isoformat()}",
            f"journal entry #{entry_id} dated {entry_day.isoformat()}",
            "the document is posted on another day than its own date",
        )
        return
    else:
        return
    yield books.drift(
        POSTING,
        label,
        f"its own entry ({source})",
        actual,
        "journal_entry_id names no entry whose source is this document",
    )


def document_postings(books: Books, model: Document, source_type: str) -> Iterator[Drift]:
    """A posted document names its one original posting, dated on the document's own date; a
    voided one also names the reversal of it; drafts and rejected documents have neither."""
    je = JournalEntry
    originals = _originals(books, source_type)
    reversals = (
        select(je.reverses_entry_id.label("entry_id"), func.count().label("n"))
        .where(je.company_id == books.cid, je.reverses_entry_id.is_not(None))
        .group_by(je.reverses_entry_id)
        .subquery()
    )
    posted, void = aliased(JournalEntry), aliased(JournalEntry)
    n_orig = func.coalesce(originals.c.n, 0)
    n_rev = func.coalesce(reversals.c.n, 0)
    voided = model.status == "voided"
    wrong_entry = _not_its_own(books, posted, source_type, model.id)
    own_day = model.issue_date if model is Invoice else model.date  # type: ignore[union-attr]
    rows = books.session.execute(
        select(
            document_label(model),
            model.id,
            model.status,
            n_orig,
            model.journal_entry_id,
            posted.id,
            posted.company_id,
            posted.source_type,
            posted.source_id,
            posted.reverses_entry_id,
            n_rev,
            model.void_entry_id,
            void.reverses_entry_id,
            posted.date,
            own_day,
        )
        .outerjoin(originals, originals.c.source_id == model.id)
        .outerjoin(reversals, reversals.c.entry_id == model.journal_entry_id)
        .outerjoin(posted, posted.id == model.journal_entry_id)
        .outerjoin(void, void.id == model.void_entry_id)
        .where(
            model.company_id == books.cid,
            or_(
                and_(
                    model.status.in_(POSTED), or_(n_orig != 1, wrong_entry, posted.date != own_day)
                ),
                and_(
                    model.status.not_in(POSTED),
                    or_(n_orig != 0, model.journal_entry_id.is_not(None)),
                ),
                and_(
                    voided,
                    or_(
                        n_rev != 1,
                        void.reverses_entry_id.is_(None),
                        void.reverses_entry_id != model.journal_entry_id,
                    ),
                ),
                and_(~voided, or_(n_rev != 0, model.void_entry_id.is_not(None))),
            ),
        )
        .order_by(model.id)
    )
    for row in rows:
        label, doc_id, status, count, named = row[:5]
        reversed_, void_id, void_of, entry_day, day = row[10:]
        if status in POSTED:
            source = f"{source_type} #{doc_id}"
            yield from _posting_drifts(
                books, label, source, count, row[5:10], named, (entry_day, day)
            )
        elif count or named:
            yield books.drift(
                POSTING,
                label,
                "no posting",
                f"{count} posting(s)" + (f", names journal entry #{named}" if named else ""),
                f"a {status} document is posted",
            )
        if status == "voided" and (reversed_ != 1 or void_of is None or void_of != named):
            yield books.drift(
                POSTING,
                label,
                f"1 reversal of journal entry #{named}",
                f"{reversed_} reversal(s); void_entry_id "
                + (f"#{void_id}" if void_id else "empty")
                + (f" reverses #{void_of}" if void_of else ""),
                "the voided document's posting is not reversed exactly once",
            )
        elif status != "voided" and (reversed_ or void_id):
            yield books.drift(
                POSTING,
                label,
                "no reversal",
                f"{reversed_} reversal(s)" + (f", void_entry_id #{void_id}" if void_id else ""),
                f"the posting of a {status} document is reversed",
            )


def payment_postings(books: Books) -> Iterator[Drift]:
    """Every payment names its one posting, whose source is that payment."""
    return _own_postings(books, Payment, "payment", "payment")


def bank_postings(books: Books) -> Iterator[Drift]:
    """Every categorized bank line names its one posting, whose source is that line (a matched
    line names its payment's entry, checked with the payment; an uncategorized one has none)."""
    return _own_postings(
        books, BankTransaction, "bank", "bank line", BankTransaction.status == "categorized"
    )


def _own_postings(
    books: Books, model: Any, source_type: str, what: str, posted_when: Any = None
) -> Iterator[Drift]:
    """Rows of ``model`` (``posted_when`` them, else all) name exactly one original posting of
    ``source_type`` with their id, and ``journal_entry_id`` is it; the others have none."""
    originals = _originals(books, source_type)
    posted = aliased(JournalEntry)
    n_orig = func.coalesce(originals.c.n, 0)
    is_posted = posted_when if posted_when is not None else true()
    rows = books.session.execute(
        select(
            model.id,
            is_posted,
            n_orig,
            model.journal_entry_id,
            posted.id,
            posted.company_id,
            posted.source_type,
            posted.source_id,
            posted.reverses_entry_id,
        )
        .outerjoin(originals, originals.c.source_id == model.id)
        .outerjoin(posted, posted.id == model.journal_entry_id)
        .where(
            model.company_id == books.cid,
            or_(
                and_(~is_posted, n_orig != 0),
                and_(
                    is_posted,
                    or_(n_orig != 1, _not_its_own(books, posted, source_type, model.id)),
                ),
            ),
        )
        .order_by(model.id)
    )
    for row in rows:
        source = f"{what} #{row[0]}"
        if not row[1]:
            yield books.drift(
                POSTING,
                source,
                "no posting",
                f"{row[2]} original postings",
                f"an unposted {what} has a posting",
            )
            continue
        yield from _posting_drifts(
            books, source, f"{source_type} #{row[0]}", row[2], row[4:], row[3]
        )


def orphan_postings(books: Books) -> Iterator[Drift]:
    """No posting names a source document that does not exist in this company."""
    je = JournalEntry
    sources: Sequence[tuple[str, Any]] = (
        ("invoice", Invoice),
        ("expense", Expense),
        ("credit_note", CreditNote),
        ("payment", Payment),
        ("bank", BankTransaction),
    )
    missing = [
        and_(
            je.source_type == source_type,
            ~exists().where(model.company_id == books.cid, model.id == je.source_id),
        )
        for source_type, model in sources
    ]
    rows = books.session.execute(
        select(je.id, je.source_type, je.source_id)
        .where(je.company_id == books.cid, je.reverses_entry_id.is_(None), or_(*missing))
        .order_by(je.id)
    )
    for entry_id, source_type, source_id in rows:
        yield books.drift(
            POSTING,
            f"journal entry #{entry_id}",
            f"{source_type} #{source_id} of this company",
            "no such document",
            "a posting names a source document that does not exist",
        )
