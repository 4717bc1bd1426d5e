"""Verify the books: recompute every derived figure from the rows it derives from, and compare.

Journal lines are the truth. From them follow the daily balances (``account_daily_balances``)
and the rule that every entry balances per currency; from document lines follow document totals;
from payments follow amounts paid and statuses; and every posted document has exactly one
original posting whose source is that document (a voided one also has its reversal).

Each check is one set-based query per company (GROUP BY, joins), so the cost follows the number
of rows the database scans, not Python loops over lines: ``newledger db verify`` stays usable on
books of a million lines. A check returns only the rows that disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from newledger.identity.models import Company
from newledger.ledger.models import (
    Account,
    AccountDailyBalance,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from newledger.money import format_minor

__all__ = ["Drift", "count_books", "verify_books"]

# What a drift is about; also the order the checks run in.
DAILY_BALANCE = "daily_balance"
NOT_INTEGER = "not_integer"
UNBALANCED_ENTRY = "unbalanced_entry"
ENTRY_LINES = "entry_lines"
DOCUMENT_TOTAL = "document_total"
AMOUNT_PAID = "amount_paid"
STATUS = "status"
POSTING = "posting"
OVERFLOW = "overflow"

_OPEN = ("approved", "partially_paid", "paid")  # posted and not voided
_POSTED = (*_OPEN, "voided")
_UNPOSTED = ("draft", "rejected")
Document = type[Invoice] | type[Expense]


@dataclass(frozen=True)
class Drift:
    """One derived figure that disagrees with what it derives from."""

    company: str  # the company's slug
    kind: str  # one of the constants above
    subject: str  # the account ("account 1100 Accounts receivable") or document ("invoice INV-7")
    expected: str  # recomputed from the source rows
    actual: str  # stored
    message: str


def _money(value: Any, currency: str) -> str:
    """Minor units as a decimal string; a stored non-integer shows as it is."""
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 2**63):
        return f"{value!r} (not an integer)"
    return f"{format_minor(int(value), currency)} {currency}"


class _Books:
    """The checks for one company; each yields Drifts."""

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

    # Daily balances ---------------------------------------------------------------------------

    def daily_balances(self) -> Iterator[Drift]:
        """Each (account, currency, day) row holds the debits and credits of its lines: no row
        missing, none extra with non-zero figures, none with other sums."""
        jl, adb = JournalLine, AccountDailyBalance
        zero: ColumnElement[int] = literal_column("0")
        one: ColumnElement[int] = literal_column("1")
        moves = union_all(
            select(
                jl.account_id.label("account_id"),
                jl.currency.label("currency"),
                jl.date.label("day"),
                case((jl.amount > 0, jl.amount), else_=0).label("line_debit"),
                case((jl.amount < 0, -jl.amount), else_=0).label("line_credit"),
                zero.label("debit"),
                zero.label("credit"),
                zero.label("stored"),
            ).where(jl.company_id == self.cid),
            select(
                adb.account_id, adb.currency, adb.day, zero, zero, adb.debit, adb.credit, one
            ).where(adb.company_id == self.cid),
        ).subquery()
        sums = [
            func.sum(moves.c.line_debit),
            func.sum(moves.c.line_credit),
            func.sum(moves.c.debit),
            func.sum(moves.c.credit),
        ]
        keys = (moves.c.account_id, moves.c.currency, moves.c.day)
        rows: Iterable[Any] = self.session.execute(
            select(*keys, *sums, func.sum(moves.c.stored))
            .group_by(*keys)
            .having(or_(sums[0] != sums[2], sums[1] != sums[3]))
            .order_by(*keys)
        )
        for account_id, cur, day, line_dr, line_cr, dr, cr, stored in rows:
            if not stored:
                why = "no daily balance row for journal lines"
            elif not (line_dr or line_cr):
                why = "a daily balance row with no journal lines"
            else:
                why = "the daily balance row differs from its journal lines"
            yield self.drift(
                DAILY_BALANCE,
                self.account(account_id),
                f"debit {_money(line_dr, cur)}, credit {_money(line_cr, cur)}",
                f"debit {_money(dr, cur)}, credit {_money(cr, cur)}",
                f"{day.isoformat()}: {why}",
            )

    def non_integers(self) -> Iterator[Drift]:
        """Every stored figure is an integer. SQLite turns an integer that overflows 64 bits into
        REAL without an error; PostgreSQL's BIGINT columns cannot hold anything else."""
        if self.session.get_bind().dialect.name != "sqlite":
            return
        adb = AccountDailyBalance
        rows = self.session.execute(
            select(adb.account_id, adb.currency, adb.day, adb.debit, adb.credit).where(
                adb.company_id == self.cid,
                or_(func.typeof(adb.debit) != "integer", func.typeof(adb.credit) != "integer"),
            )
        )
        for account_id, cur, day, dr, cr in rows:
            yield self.drift(
                NOT_INTEGER,
                self.account(account_id),
                "integer minor units",
                f"debit {dr!r}, credit {cr!r}",
                f"{day.isoformat()} {cur}: a daily balance is not an integer (64-bit overflow)",
            )
        figures: Sequence[tuple[Any, str, Sequence[str]]] = (
            (JournalLine, "journal line", ("amount",)),
            (Invoice, "invoice", ("total", "amount_paid")),
            (InvoiceLine, "invoice line", ("unit_price", "amount")),
            (Expense, "expense", ("total", "amount_paid")),
            (ExpenseLine, "expense line", ("amount",)),
            (Payment, "payment", ("amount",)),
        )
        for model, label, names in figures:
            columns = [getattr(model, name) for name in names]
            for id_, *values in self.session.execute(
                select(model.id, *columns).where(
                    model.company_id == self.cid,
                    or_(*(func.typeof(col) != "integer" for col in columns)),
                )
            ):
                yield self.drift(
                    NOT_INTEGER,
                    f"{label} #{id_}",
                    "integer minor units",
                    ", ".join(f"{n} {v!r}" for n, v in zip(names, values, strict=True)),
                    f"a stored {label} figure is not an integer",
                )

    # Journal entries --------------------------------------------------------------------------

    def unbalanced_entries(self) -> Iterator[Drift]:
        """Every entry's lines sum to zero in each currency."""
        jl = JournalLine
        rows = self.session.execute(
            select(jl.entry_id, jl.currency, func.sum(jl.amount))
            .where(jl.company_id == self.cid)
            .group_by(jl.entry_id, jl.currency)
            .having(func.sum(jl.amount) != 0)
            .order_by(jl.entry_id, jl.currency)
        )
        for entry_id, cur, total in rows:
            yield self.drift(
                UNBALANCED_ENTRY,
                f"journal entry #{entry_id}",
                f"{_money(0, cur)}",
                _money(total, cur),
                "debits and credits of the entry differ",
            )

    def entry_lines(self) -> Iterator[Drift]:
        """A line carries its entry's company and date (reports and daily balances read them)."""
        jl, je = JournalLine, JournalEntry
        rows = self.session.execute(
            select(jl.entry_id, func.count(), func.min(jl.date), func.min(je.date))
            .join(je, je.id == jl.entry_id)
            .where(
                or_(jl.company_id == self.cid, je.company_id == self.cid),
                or_(jl.company_id != je.company_id, jl.date != je.date),
            )
            .group_by(jl.entry_id)
            .order_by(jl.entry_id)
        )
        for entry_id, count, line_day, entry_day in rows:
            yield self.drift(
                ENTRY_LINES,
                f"journal entry #{entry_id}",
                f"lines of this company dated {entry_day.isoformat()}",
                f"{count} line(s), e.g. dated {line_day.isoformat()}",
                "lines disagree with their entry's company or date",
            )

    # Documents --------------------------------------------------------------------------------

    def _label(self, model: Document) -> ColumnElement[str]:
        if model is Invoice:
            return "invoice " + Invoice.number
        return Expense.kind + " #" + cast(Expense.id, String)

    def document_totals(self, model: Document, line_model: Any, key: Any) -> Iterator[Drift]:
        """A document's total is the sum of its lines."""
        lines = (
            select(key.label("document_id"), func.sum(line_model.amount).label("total"))
            .where(line_model.company_id == self.cid)
            .group_by(key)
            .subquery()
        )
        expected = func.coalesce(lines.c.total, 0)
        rows = self.session.execute(
            select(self._label(model), model.currency, expected, model.total)
            .outerjoin(lines, lines.c.document_id == model.id)
            .where(model.company_id == self.cid, model.total != expected)
            .order_by(model.id)
        )
        for label, cur, want, total in rows:
            yield self.drift(
                DOCUMENT_TOTAL,
                label,
                _money(want, cur),
                _money(total, cur),
                "the total differs from the sum of its lines",
            )

    def amounts_paid(self, model: Document) -> Iterator[Drift]:
        """``amount_paid`` is the sum of the payments against the document (an expense paid at
        approval counts as paid in full) and the status follows from it."""
        key = Payment.invoice_id if model is Invoice else Payment.expense_id
        paid = (
            select(
                key.label("document_id"),
                func.sum(Payment.amount).label("paid"),
                func.count().label("payments"),
            )
            .where(Payment.company_id == self.cid, key.is_not(None))
            .group_by(key)
            .subquery()
        )
        payments = func.coalesce(paid.c.payments, 0)
        # An expense (not a bill) is paid from its payment account when approved: no payments.
        at_once: ColumnElement[bool] = Expense.kind == "expense" if model is Expense else false()
        expected_paid = case(
            (at_once, case((model.status.in_(("paid", "voided")), model.total), else_=0)),
            else_=func.coalesce(paid.c.paid, 0),
        )
        expected_status = case(
            (model.status.not_in(_OPEN), model.status),
            (at_once, "paid"),
            (expected_paid == 0, "approved"),
            (expected_paid < model.total, "partially_paid"),
            else_="paid",
        )
        takes_none = or_(model.status.not_in(_OPEN), at_once)
        rows = self.session.execute(
            select(
                self._label(model),
                model.currency,
                model.status,
                model.total,
                model.amount_paid,
                expected_paid,
                expected_status,
                payments,
                takes_none,
            )
            .outerjoin(paid, paid.c.document_id == model.id)
            .where(
                model.company_id == self.cid,
                or_(
                    model.amount_paid != expected_paid,
                    model.status != expected_status,
                    expected_paid > model.total,
                    and_(payments > 0, takes_none),
                ),
            )
            .order_by(model.id)
        )
        for label, cur, status, total, amount_paid, want, want_status, count, none in rows:
            if amount_paid != want:
                yield self.drift(
                    AMOUNT_PAID,
                    label,
                    _money(want, cur),
                    _money(amount_paid, cur),
                    "amount paid differs from the payments recorded against it",
                )
            if status != want_status:
                yield self.drift(
                    STATUS,
                    label,
                    want_status,
                    status,
                    f"the status does not follow from {_money(want, cur)} paid of "
                    f"{_money(total, cur)}",
                )
            if want > total:
                yield self.drift(
                    AMOUNT_PAID,
                    label,
                    f"at most {_money(total, cur)}",
                    _money(want, cur),
                    "more is paid than the total",
                )
            if count and none:
                yield self.drift(
                    AMOUNT_PAID,
                    label,
                    "no payments",
                    f"{count} payment(s)",
                    f"payments are recorded against a {status} document that takes none",
                )

    # Postings ---------------------------------------------------------------------------------

    def _originals(self, source_type: str) -> Any:
        """Original (non-reversal) postings per source id."""
        je = JournalEntry
        return (
            select(je.source_id.label("source_id"), func.count().label("n"))
            .where(
                je.company_id == self.cid,
                je.source_type == source_type,
                je.reverses_entry_id.is_(None),
            )
            .group_by(je.source_id)
            .subquery()
        )

    def _posting_drifts(
        self, label: str, source: str, count: int, entry: Sequence[Any], named: int | None
    ) -> Iterator[Drift]:
        """Drifts of a posted source: ``count`` originals, and ``named`` must be one of them."""
        if count != 1:
            yield self.drift(
                POSTING,
                label,
                "1 original posting",
                f"{count} original postings",
                "posted more than once" if count > 1 else "no posting has it as its source",
            )
        entry_id, company_id, source_type, source_id, reverses = entry
        if entry_id is None:
            actual = f"journal entry #{named}, which does not exist" if named else "none"
        elif company_id != self.cid or f"{source_type} #{source_id}" != source or reverses:
            whose = f"{source_type} #{source_id}" + (" (a reversal)" if reverses else "")
            actual = f"journal entry #{entry_id} of {whose}"
        else:
            return
        yield self.drift(
            POSTING,
            label,
            f"its own entry ({source})",
            actual,
            "journal_entry_id names no entry whose source is this document",
        )

    def document_postings(self, model: Document, source_type: str) -> Iterator[Drift]:
        """A posted document names its one original posting; a voided one also names the
        reversal of it; drafts and rejected documents have neither."""
        je = JournalEntry
        originals = self._originals(source_type)
        reversals = (
            select(je.reverses_entry_id.label("entry_id"), func.count().label("n"))
            .where(je.company_id == self.cid, je.reverses_entry_id.is_not(None))
            .group_by(je.reverses_entry_id)
            .subquery()
        )
        posted, void = aliased(JournalEntry), aliased(JournalEntry)
        n_orig = func.coalesce(originals.c.n, 0)
        n_rev = func.coalesce(reversals.c.n, 0)
        voided = model.status == "voided"
        wrong_entry = or_(
            posted.id.is_(None),
            posted.company_id != self.cid,
            posted.source_type != source_type,
            posted.source_id != model.id,
            posted.reverses_entry_id.is_not(None),
        )
        rows = self.session.execute(
            select(
                self._label(model),
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
            )
            .outerjoin(originals, originals.c.source_id == model.id)
            .outerjoin(reversals, reversals.c.entry_id == model.journal_entry_id)
            .outerjoin(posted, posted.id == model.journal_entry_id)
            .outerjoin(void, void.id == model.void_entry_id)
            .where(
                model.company_id == self.cid,
                or_(
                    and_(model.status.in_(_POSTED), or_(n_orig != 1, wrong_entry)),
                    and_(
                        model.status.not_in(_POSTED),
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
            reversed_, void_id, void_of = row[10:]
            if status in _POSTED:
                source = f"{source_type} #{doc_id}"
                yield from self._posting_drifts(label, source, count, row[5:10], named)
            elif count or named:
                yield self.drift(
                    POSTING,
                    label,
                    "no posting",
                    f"{count} posting(s)" + (f", names journal entry #{named}" if named else ""),
                    f"a {status} document is posted",
                )
            if status == "voided" and (reversed_ != 1 or void_of is None or void_of != named):
                yield self.drift(
                    POSTING,
                    label,
                    f"1 reversal of journal entry #{named}",
                    f"{reversed_} reversal(s); void_entry_id "
                    + (f"#{void_id}" if void_id else "empty")
                    + (f" reverses #{void_of}" if void_of else ""),
                    "the voided document's posting is not reversed exactly once",
                )
            elif status != "voided" and (reversed_ or void_id):
                yield self.drift(
                    POSTING,
                    label,
                    "no reversal",
                    f"{reversed_} reversal(s)" + (f", void_entry_id #{void_id}" if void_id else ""),
                    f"the posting of a {status} document is reversed",
                )

    def payment_postings(self) -> Iterator[Drift]:
        """Every payment names its one posting, whose source is that payment."""
        originals = self._originals("payment")
        posted = aliased(JournalEntry)
        n_orig = func.coalesce(originals.c.n, 0)
        rows = self.session.execute(
            select(
                Payment.id,
                n_orig,
                Payment.journal_entry_id,
                posted.id,
                posted.company_id,
                posted.source_type,
                posted.source_id,
                posted.reverses_entry_id,
            )
            .outerjoin(originals, originals.c.source_id == Payment.id)
            .outerjoin(posted, posted.id == Payment.journal_entry_id)
            .where(
                Payment.company_id == self.cid,
                or_(
                    n_orig != 1,
                    posted.id.is_(None),
                    posted.company_id != self.cid,
                    posted.source_type != "payment",
                    posted.source_id != Payment.id,
                    posted.reverses_entry_id.is_not(None),
                ),
            )
            .order_by(Payment.id)
        )
        for row in rows:
            source = f"payment #{row[0]}"
            yield from self._posting_drifts(source, source, row[1], row[3:], row[2])

    def orphan_postings(self) -> Iterator[Drift]:
        """No posting names a source document that does not exist in this company."""
        je = JournalEntry
        sources: Sequence[tuple[str, Any]] = (
            ("invoice", Invoice),
            ("expense", Expense),
            ("payment", Payment),
        )
        for source_type, model in sources:
            rows = self.session.execute(
                select(je.id, je.source_id)
                .where(
                    je.company_id == self.cid,
                    je.source_type == source_type,
                    je.reverses_entry_id.is_(None),
                    ~exists().where(model.company_id == self.cid, model.id == je.source_id),
                )
                .order_by(je.id)
            )
            for entry_id, source_id in rows:
                yield self.drift(
                    POSTING,
                    f"journal entry #{entry_id}",
                    f"{source_type} #{source_id} of this company",
                    "no such document",
                    "a posting names a source document that does not exist",
                )

    def checks(self) -> list[tuple[str, Callable[[], Iterator[Drift]]]]:
        return [
            ("daily balances", self.daily_balances),
            ("stored figures", self.non_integers),
            ("entry balances", self.unbalanced_entries),
            ("entry lines", self.entry_lines),
            (
                "invoice totals",
                lambda: self.document_totals(Invoice, InvoiceLine, InvoiceLine.invoice_id),
            ),
            (
                "expense totals",
                lambda: self.document_totals(Expense, ExpenseLine, ExpenseLine.expense_id),
            ),
            ("invoice amounts paid", lambda: self.amounts_paid(Invoice)),
            ("expense amounts paid", lambda: self.amounts_paid(Expense)),
            ("invoice postings", lambda: self.document_postings(Invoice, "invoice")),
            ("expense postings", lambda: self.document_postings(Expense, "expense")),
            ("payment postings", self.payment_postings),
            ("orphan postings", self.orphan_postings),
        ]

    def run(self) -> Iterator[Drift]:
        for name, check in self.checks():
            try:
                found = list(check())
            except OperationalError as exc:
                # SQLite's SUM() refuses to pass 64 bits; such books cannot be compared exactly.
                if "integer overflow" not in str(exc.orig):
                    raise
                found = [
                    self.drift(
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
    return [drift for company in companies for drift in _Books(session, company).run()]


def count_books(session: Session, company_id: int | None = None) -> tuple[int, int]:
    """(companies, journal entries) that ``verify_books`` looks at."""
    companies = select(func.count()).select_from(Company)
    entries = select(func.count()).select_from(JournalEntry)
    if company_id is not None:
        companies = companies.where(Company.id == company_id)
        entries = entries.where(JournalEntry.company_id == company_id)
    return session.scalar(companies) or 0, session.scalar(entries) or 0
