"""Row buffers for bulk loading: documents and their journal entries, built in Python.

The demo writes rows directly (Core ``executemany`` with explicit ids) instead of calling the
document services one by one, which is what makes a million journal lines fit in a minute. Every
entry still follows the posting conventions and is checked to balance before it is buffered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date, Integer, Numeric, Table, func, select, text

from newledger.db import UTCDateTime
from newledger.ledger.models import (
    BankTransaction,
    Contact,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)

__all__ = ["TABLES", "Books", "Line"]

# Insert order: every foreign key points at a table earlier in the list (or an earlier batch).
TABLES: tuple[Table, ...] = tuple(
    m.__table__  # type: ignore[misc]
    for m in (
        Contact,
        JournalEntry,
        Invoice,
        Expense,
        InvoiceLine,
        ExpenseLine,
        Payment,
        BankTransaction,
        JournalLine,
    )
)

# (account id, signed amount, contact id, description)
Line = tuple[int, int, int | None, str]

_TUPLE_TABLES: dict[str, tuple[str, ...]] = {
    "journal_entries": (
        "id", "company_id", "date", "memo", "source_type", "source_id", "reverses_entry_id",
        "posted_by_user_id", "created_at",
    ),
    "journal_lines": (
        "id", "company_id", "entry_id", "account_id", "contact_id", "date", "currency", "amount",
        "description",
    ),
}  # fmt: skip

_SOURCE_NONE: dict[str, Any] = {"source_app_id": None, "source_connection_id": None}


class Books:
    """Buffers rows for one company, hands out ids, and keeps daily totals as lines are added."""

    def __init__(
        self,
        conn: Connection,
        *,
        company_id: int,
        currency: str,
        user_id: int,
        batch_lines: int = 50_000,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.conn = conn
        self.company_id = company_id
        self.currency = currency
        self.user_id = user_id
        self.batch_lines = batch_lines
        self.on_flush = on_flush
        self.rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
        self.entry_rows: list[tuple[Any, ...]] = []
        self.line_rows: list[tuple[Any, ...]] = []
        self._sqlite = conn.dialect.name == "sqlite"
        self._days: dict[dt.date, Any] = {}
        self._stored_stamps: dict[dt.date, Any] = {}
        self.next_ids = {
            t.name: int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
            for t in TABLES
        }
        self.daily: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
        self.counts: dict[str, int] = defaultdict(int)
        self._stamps: dict[dt.date, dt.datetime] = {}

    # ids and timestamps

    def new_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def stamp(self, day: dt.date) -> dt.datetime:
        """A believable created/updated time for something that happened on ``day``."""
        value = self._stamps.get(day)
        if value is None:
            # Late afternoon, except today and later, where that could lie in the future.
            hour = 17 if day < dt.datetime.now(dt.UTC).date() else 0
            value = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)
            self._stamps[day] = value
        return value

    def _stored_day(self, day: dt.date) -> Any:
        """A date as the driver stores it (SQLAlchemy's SQLite format is ISO 8601 text)."""
        value = self._days.get(day)
        if value is None:
            value = self._days[day] = day.isoformat() if self._sqlite else day
        return value

    def _stored_stamp(self, day: dt.date) -> Any:
        value = self._stored_stamps.get(day)
        if value is None:
            naive = self.stamp(day).replace(tzinfo=None)  # UTCDateTime stores naive UTC
            value = naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self._sqlite else naive
            self._stored_stamps[day] = value
        return value

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)
        self.counts[table] += 1

    # ledger

    def entry(
        self,
        day: dt.date,
        source_type: str,
        source_id: int | None,
        lines: Sequence[Line],
        memo: str = "",
        reverses: int | None = None,
    ) -> int:
        """Buffer one posted entry; it must balance, like everything ``post_entry`` accepts."""
        assert len(lines) >= 2, "an entry needs two lines"
        assert sum(line[1] for line in lines) == 0, f"unbalanced demo entry: {memo} {lines}"
        entry_id = self.new_id("journal_entries")
        # Entries and lines are the bulk of the rows: they are kept as tuples already in storage
        # form (see ``_ENTRY_COLUMNS``), the other tables as dicts.
        stored_day = self._stored_day(day)
        self.entry_rows.append(
            (
                entry_id,
                self.company_id,
                stored_day,
                memo[:500],
                source_type,
                source_id,
                reverses,
                self.user_id,
                self._stored_stamp(day),
            )
        )
        out = self.line_rows
        daily = self.daily
        cid, cur = self.company_id, self.currency
        next_line = self.next_ids["journal_lines"]
        for account_id, amount, contact_id, description in lines:
            assert amount != 0, "zero journal line"
            out.append(
                (next_line, cid, entry_id, account_id, contact_id, stored_day, cur, amount,
                 description)
            )  # fmt: skip
            next_line += 1
            bucket = daily[(account_id, day)]
            if amount > 0:
                bucket[0] += amount
            else:
                bucket[1] -= amount
        self.counts["journal_entries"] += 1
        self.counts["journal_lines"] += next_line - self.next_ids["journal_lines"]
        self.next_ids["journal_lines"] = next_line
        return entry_id

    def balance(self, account_id: int, day: dt.date) -> int:
        """An account's balance (debit positive) from what is buffered, dated on or before day."""
        return sum(
            dr - cr for (acct, d), (dr, cr) in self.daily.items() if acct == account_id and d <= day
        )

    def reverse(
        self, day: dt.date, entry_id: int, lines: Sequence[Line], source_id: int | None, memo: str
    ) -> int:
        """Post the mirror image of an entry (a void), as ``posting.reverse_entry`` does."""
        mirrored = [(a, -amount, c, d) for a, amount, c, d in lines]
        return self.entry(day, "void", source_id, mirrored, memo, reverses=entry_id)

    # documents

    def document_source(self, source: str = "demo", label: str = "") -> dict[str, Any]:
        return {"source": source, "source_label": label, **_SOURCE_NONE}

    def invoice_lines(
        self,
        invoice_id: int,
        lines: Sequence[tuple[str, Decimal, int, int, int]],
        taxes: Sequence[tuple[int | None, int]] = (),
    ) -> None:
        """(description, quantity, unit price, amount, income account) per line, and each
        line's (tax rate, tax) if any."""
        taxes = taxes or [(None, 0)] * len(lines)
        for position, (line, (rate_id, tax)) in enumerate(zip(lines, taxes, strict=True)):
            description, quantity, unit_price, amount, account_id = line
            self.add(
                "invoice_lines",
                {
                    "id": self.new_id("invoice_lines"),
                    "company_id": self.company_id,
                    "invoice_id": invoice_id,
                    "position": position,
                    "description": description,
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "amount": amount,
                    "account_id": account_id,
                    "tax_rate_id": rate_id,
                    "tax_amount": tax,
                    "item_id": None,
                },
            )

    def expense_lines(
        self,
        expense_id: int,
        lines: Sequence[tuple[str, int, int]],
        taxes: Sequence[tuple[int | None, int]] = (),
    ) -> None:
        """(description, amount, account) per line, and each line's (tax rate, tax) if any."""
        taxes = taxes or [(None, 0)] * len(lines)
        for position, (line, (rate_id, tax)) in enumerate(zip(lines, taxes, strict=True)):
            description, amount, account_id = line
            self.add(
                "expense_lines",
                {
                    "id": self.new_id("expense_lines"),
                    "company_id": self.company_id,
                    "expense_id": expense_id,
                    "position": position,
                    "description": description,
                    "amount": amount,
                    "account_id": account_id,
                    "tax_rate_id": rate_id,
                    "tax_amount": tax,
                    "item_id": None,
                },
            )

    # writing

    def flush(self) -> None:
        """Insert everything buffered, parents before children, in large executemany batches.

        Rows go straight to the DB-API cursor's ``executemany`` (through the session's connection,
        so inside its transaction): SQLAlchemy's per-row parameter processing cost more than
        SQLite's own inserts, and a million lines must load in under a minute.
        """
        flushed_lines = len(self.line_rows)
        for table in TABLES:
            if table.name in _TUPLE_TABLES:
                rows = self.entry_rows if table.name == "journal_entries" else self.line_rows
                if rows:
                    self._insert_tuples(table, _TUPLE_TABLES[table.name], rows)
                    rows.clear()
                continue
            dict_rows = self.rows[table.name]
            if dict_rows:
                self._insert(table, dict_rows)
                self.rows[table.name] = []
        if self.on_flush is not None and flushed_lines:
            self.on_flush(flushed_lines)

    def _sql(self, table: Table, columns: Sequence[str]) -> str:
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join(mark for _ in columns)
        return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"

    def _insert_tuples(
        self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        self.conn.exec_driver_sql(self._sql(table, columns), rows)

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        qmark = self.conn.dialect.paramstyle == "qmark"
        sql = self._sql(table, columns)
        getter = itemgetter(*columns)
        converters = [
            (i, conv)
            for i, name in enumerate(columns)
            if (conv := self._converter(table.c[name].type, qmark)) is not None
        ]
        if not converters:
            params: list[Any] = [getter(row) for row in rows]
        else:
            params = []
            for row in rows:
                values = list(getter(row))
                for i, conv in converters:
                    if values[i] is not None:
                        values[i] = conv(values[i])
                params.append(tuple(values))
        self.conn.exec_driver_sql(sql, params)

    def _converter(self, type_: Any, sqlite: bool) -> Callable[[Any], Any] | None:
        """Bind conversions SQLAlchemy would have applied: the storage formats it reads back."""
        if isinstance(type_, UTCDateTime):
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            cache: dict[Any, Any] = {}

            def when(value: dt.datetime) -> Any:
                out = cache.get(value)
                if out is None:
                    naive = value.astimezone(dt.UTC).replace(tzinfo=None)
                    out = cache[value] = naive.strftime(fmt) if sqlite else naive
                return out

            return when
        if not sqlite:
            return None
        if isinstance(type_, Date):
            days: dict[dt.date, str] = {}

            def day(value: dt.date) -> str:
                out = days.get(value)
                if out is None:
                    out = days[value] = value.isoformat()
                return out

            return day
        if isinstance(type_, Numeric) and not isinstance(type_, Integer):
            return float
        return None

    def maybe_flush(self) -> None:
        if len(self.line_rows) >= self.batch_lines:
            self.flush()

    def daily_movements(self) -> list[tuple[int, str, dt.date, int]]:
        """The buffered daily totals as movements for ``posting.add_to_daily_balances``."""
        out: list[tuple[int, str, dt.date, int]] = []
        for (account_id, day), (debit, credit) in self.daily.items():
            if debit:
                out.append((account_id, self.currency, day, debit))
            if credit:
                out.append((account_id, self.currency, day, -credit))
        return out

    def fix_sequences(self) -> None:
        """PostgreSQL: move each id sequence past the explicit ids the demo wrote."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in TABLES:
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            )
