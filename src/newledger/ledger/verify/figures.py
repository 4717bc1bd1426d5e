"""Figures derived from journal lines: daily balances, account totals, entry balances, stored
integers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, or_, select, union_all

from newledger.ledger.models import (
    AccountBalance,
    AccountDailyBalance,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from newledger.ledger.verify.drift import (
    ACCOUNT_TOTAL,
    DAILY_BALANCE,
    ENTRY_LINES,
    NOT_INTEGER,
    UNBALANCED_ENTRY,
    Books,
    Drift,
    money,
)

__all__ = ["account_totals", "daily_balances", "entry_lines", "non_integers", "unbalanced_entries"]


def _disagreeing(
    books: Books, keys: dict[str, Any], derived: Sequence[Any], stored: Any
) -> Iterable[Any]:
    """Where derived and stored debits and credits differ: rows of the keys, the derived debit
    and credit, the stored debit and credit, and whether a stored row exists.

    ``keys`` maps each key column's name in ``stored`` (a table with those keys, ``company_id``,
    ``debit`` and ``credit``) to the column it is derived from; ``derived`` is the derived
    debit, credit and company column.
    """
    zero: ColumnElement[int] = literal_column("0")
    one: ColumnElement[int] = literal_column("1")
    names = list(keys)
    moves = union_all(
        select(
            *(column.label(name) for name, column in keys.items()),
            derived[0].label("derived_debit"),
            derived[1].label("derived_credit"),
            zero.label("debit"),
            zero.label("credit"),
            zero.label("stored"),
        ).where(derived[2] == books.cid),
        select(
            *(stored.c[n] for n in names), zero, zero, stored.c.debit, stored.c.credit, one
        ).where(stored.c.company_id == books.cid),
    ).subquery()
    sums = [
        func.sum(moves.c.derived_debit),
        func.sum(moves.c.derived_credit),
        func.sum(moves.c.debit),
        func.sum(moves.c.credit),
    ]
    grouped = [moves.c[n] for n in names]
    return books.session.execute(
        select(*grouped, *sums, func.sum(moves.c.stored))
        .group_by(*grouped)
        .having(or_(sums[0] != sums[2], sums[1] != sums[3]))
        .order_by(*grouped)
    )


def _line_sides(jl: type[JournalLine]) -> tuple[Any, Any, Any]:
    """A journal line's debit, credit and company, as ``_disagreeing`` derives from them."""
    return (
        case((jl.amount > 0, jl.amount), else_=0),
        case((jl.amount < 0, -jl.amount), else_=0),
        jl.company_id,
    )


def daily_balances(books: Books) -> Iterator[Drift]:
    """Each (account, currency, day) row holds the debits and credits of its lines: no row
    missing, none extra with non-zero figures, none with other sums."""
    jl = JournalLine
    rows = _disagreeing(
        books,
        {"account_id": jl.account_id, "currency": jl.currency, "day": jl.date},
        _line_sides(jl),
        AccountDailyBalance.__table__,
    )
    for account_id, cur, day, line_dr, line_cr, dr, cr, stored in rows:
        if not stored:
            why = "no daily balance row for journal lines"
        elif not (line_dr or line_cr):
            why = "a daily balance row with no journal lines"
        else:
            why = "the daily balance row differs from its journal lines"
        yield books.drift(
            DAILY_BALANCE,
            books.account(account_id),
            f"debit {money(line_dr, cur)}, credit {money(line_cr, cur)}",
            f"debit {money(dr, cur)}, credit {money(cr, cur)}",
            f"{day.isoformat()}: {why}",
        )


def account_totals(books: Books) -> Iterator[Drift]:
    """Each (account, currency) total holds the debits and credits of all its lines: no total
    missing, none extra with non-zero figures, none with other sums."""
    jl = JournalLine
    rows = _disagreeing(
        books,
        {"account_id": jl.account_id, "currency": jl.currency},
        _line_sides(jl),
        AccountBalance.__table__,
    )
    for account_id, cur, line_dr, line_cr, dr, cr, stored in rows:
        if not stored:
            why = "no account total row for journal lines"
        elif not (line_dr or line_cr):
            why = "an account total row with no journal lines"
        else:
            why = "the account total row differs from its journal lines"
        yield books.drift(
            ACCOUNT_TOTAL,
            books.account(account_id),
            f"debit {money(line_dr, cur)}, credit {money(line_cr, cur)}",
            f"debit {money(dr, cur)}, credit {money(cr, cur)}",
            f"{cur}: {why}",
        )


def non_integers(books: Books) -> Iterator[Drift]:
    """Every stored figure is an integer. SQLite turns an integer that overflows 64 bits into
    REAL without an error; PostgreSQL's BIGINT columns cannot hold anything else."""
    if books.session.get_bind().dialect.name != "sqlite":
        return
    adb = AccountDailyBalance
    rows = books.session.execute(
        select(adb.account_id, adb.currency, adb.day, adb.debit, adb.credit).where(
            adb.company_id == books.cid,
            or_(func.typeof(adb.debit) != "integer", func.typeof(adb.credit) != "integer"),
        )
    )
    for account_id, cur, day, dr, cr in rows:
        yield books.drift(
            NOT_INTEGER,
            books.account(account_id),
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
        for id_, *values in books.session.execute(
            select(model.id, *columns).where(
                model.company_id == books.cid,
                or_(*(func.typeof(col) != "integer" for col in columns)),
            )
        ):
            yield books.drift(
                NOT_INTEGER,
                f"{label} #{id_}",
                "integer minor units",
                ", ".join(f"{n} {v!r}" for n, v in zip(names, values, strict=True)),
                f"a stored {label} figure is not an integer",
            )


def unbalanced_entries(books: Books) -> Iterator[Drift]:
    """Every entry's lines sum to zero in each currency."""
    jl = JournalLine
    rows = books.session.execute(
        select(jl.entry_id, jl.currency, func.sum(jl.amount))
        .where(jl.company_id == books.cid)
        .group_by(jl.entry_id, jl.currency)
        .having(func.sum(jl.amount) != 0)
        .order_by(jl.entry_id, jl.currency)
    )
    for entry_id, cur, total in rows:
        yield books.drift(
            UNBALANCED_ENTRY,
            f"journal entry #{entry_id}",
            money(0, cur),
            money(total, cur),
            "debits and credits of the entry differ",
        )


def entry_lines(books: Books) -> Iterator[Drift]:
    """A line carries its entry's company and date (reports and daily balances read them). A
    line filed under another company than its entry is reported with the line's company."""
    jl, je = JournalLine, JournalEntry
    rows = books.session.execute(
        select(jl.entry_id, func.count(), func.min(jl.date), func.min(je.date))
        .join(je, je.id == jl.entry_id)
        .where(
            jl.company_id == books.cid,
            or_(jl.company_id != je.company_id, jl.date != je.date),
        )
        .group_by(jl.entry_id)
        .order_by(jl.entry_id)
    )
    for entry_id, count, line_day, entry_day in rows:
        yield books.drift(
            ENTRY_LINES,
            f"journal entry #{entry_id}",
            f"lines of this company dated {entry_day.isoformat()}",
            f"{count} line(s), e.g. dated {line_day.isoformat()}",
            "lines disagree with their entry's company or date",
        )
