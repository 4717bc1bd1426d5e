"""Posting journal entries: the only way lines reach the ledger.

Every entry balances to zero per currency, names accounts of its own company, and is immutable
once written (corrections are reversing entries). The same transaction updates
``account_daily_balances`` and ``account_balances`` so reports never scan every line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newledger.errors import InvalidState, NotFound, ValidationFailed
from newledger.ledger.models import (
    Account,
    AccountBalance,
    AccountDailyBalance,
    Contact,
    JournalEntry,
    JournalLine,
)
from newledger.money import format_minor, validate_currency

__all__ = [
    "LineSpec",
    "add_to_daily_balances",
    "post_entry",
    "rebuild_daily_balances",
    "reverse_entry",
]


@dataclass(frozen=True)
class LineSpec:
    """One line to post. ``amount`` is signed minor units: debit positive, credit negative."""

    account_id: int
    amount: int
    currency: str
    contact_id: int | None = None
    description: str = ""


def _validate(session: Session, company_id: int, lines: Sequence[LineSpec]) -> None:
    if len(lines) < 2:
        raise ValidationFailed("A journal entry needs at least two lines", code="too_few_lines")
    totals: dict[str, int] = defaultdict(int)
    for i, line in enumerate(lines):
        validate_currency(line.currency, field=f"lines[{i}].currency")
        if not isinstance(line.amount, int) or isinstance(line.amount, bool):
            raise ValidationFailed("Line amounts must be integer minor units")
        if line.amount == 0:
            raise ValidationFailed(
                f"Line {i + 1} has a zero amount", errors={f"lines[{i}].amount": "zero"}
            )
        totals[line.currency] += line.amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        detail = ", ".join(f"{format_minor(t, c)} {c}" for c, t in unbalanced.items())
        raise ValidationFailed(
            f"Entry does not balance: debits and credits differ by {detail}", code="unbalanced"
        )
    account_ids = {line.account_id for line in lines}
    found = dict(
        session.execute(
            select(Account.id, Account.is_active).where(
                Account.company_id == company_id, Account.id.in_(account_ids)
            )
        ).all()
    )
    for i, line in enumerate(lines):
        if line.account_id not in found:
            raise NotFound(
                f"Unknown account {line.account_id} on line {i + 1}", code="unknown_account"
            )
        if not found[line.account_id]:
            raise ValidationFailed(
                f"Account {line.account_id} is archived",
                errors={f"lines[{i}].account_id": "archived"},
            )
    contact_ids = {line.contact_id for line in lines if line.contact_id is not None}
    if contact_ids:
        known = set(
            session.scalars(
                select(Contact.id).where(
                    Contact.company_id == company_id, Contact.id.in_(contact_ids)
                )
            )
        )
        missing = contact_ids - known
        if missing:
            raise NotFound(f"Unknown contact {min(missing)}", code="unknown_contact")


def post_entry(
    session: Session,
    *,
    company_id: int,
    date: dt.date,
    lines: Sequence[LineSpec],
    source_type: str,
    source_id: int | None = None,
    memo: str = "",
    posted_by_user_id: int | None = None,
    reverses_entry_id: int | None = None,
) -> JournalEntry:
    """Validate and post one balanced entry; nothing is written when validation fails."""
    _validate(session, company_id, lines)
    entry = JournalEntry(
        company_id=company_id,
        date=date,
        memo=memo[:500],
        source_type=source_type,
        source_id=source_id,
        posted_by_user_id=posted_by_user_id,
        reverses_entry_id=reverses_entry_id,
    )
    session.add(entry)
    session.flush()
    session.execute(
        insert(JournalLine),
        [
            {
                "company_id": company_id,
                "entry_id": entry.id,
                "account_id": line.account_id,
                "contact_id": line.contact_id,
                "date": date,
                "currency": line.currency,
                "amount": line.amount,
                "description": line.description[:500],
            }
            for line in lines
        ],
    )
    add_to_daily_balances(
        session, company_id, ((line.account_id, line.currency, date, line.amount) for line in lines)
    )
    return entry


def reverse_entry(
    session: Session,
    entry: JournalEntry,
    *,
    date: dt.date,
    memo: str,
    source_type: str = "void",
    posted_by_user_id: int | None = None,
) -> JournalEntry:
    """Post the mirror image of ``entry`` (every amount negated) on ``date``."""
    lines = session.scalars(select(JournalLine).where(JournalLine.entry_id == entry.id)).all()
    if session.scalar(
        select(JournalEntry.id).where(
            JournalEntry.company_id == entry.company_id, JournalEntry.reverses_entry_id == entry.id
        )
    ):
        raise InvalidState(f"Journal entry {entry.id} is already reversed", code="already_reversed")
    return post_entry(
        session,
        company_id=entry.company_id,
        date=date,
        lines=[
            LineSpec(ln.account_id, -ln.amount, ln.currency, ln.contact_id, ln.description)
            for ln in lines
        ],
        source_type=source_type,
        source_id=entry.source_id,
        memo=memo,
        posted_by_user_id=posted_by_user_id,
        reverses_entry_id=entry.id,
    )


def add_to_daily_balances(
    session: Session,
    company_id: int,
    movements: Iterable[tuple[int, str, dt.date, int]],
) -> None:
    """Fold (account, currency, day, signed amount) movements into the daily totals and the
    account totals (upserts)."""
    daily: dict[tuple[int, str, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for account_id, currency, day, amount in movements:
        bucket = daily[(account_id, currency, day)]
        if amount > 0:
            bucket[0] += amount
        else:
            bucket[1] -= amount
    if not daily:
        return
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for (a, c, _day), (dr, cr) in daily.items():
        total = totals[(a, c)]
        total[0] += dr
        total[1] += cr
    _add(
        session,
        AccountDailyBalance,
        [
            {
                "company_id": company_id,
                "account_id": a,
                "currency": c,
                "day": d,
                "debit": dr,
                "credit": cr,
            }
            for (a, c, d), (dr, cr) in daily.items()
        ],
    )
    _add(
        session,
        AccountBalance,
        [
            {"company_id": company_id, "account_id": a, "currency": c, "debit": dr, "credit": cr}
            for (a, c), (dr, cr) in totals.items()
        ],
    )


def _add(
    session: Session,
    model: type[AccountDailyBalance] | type[AccountBalance],
    rows: list[dict[str, Any]],
) -> None:
    """Insert ``rows``, adding their debits and credits to any row with the same key."""
    dialect = session.get_bind().dialect.name
    ins = pg_insert(model) if dialect == "postgresql" else sqlite_insert(model)
    stmt = ins.on_conflict_do_update(
        index_elements=[c.name for c in model.__table__.primary_key],
        set_={
            "debit": model.debit + ins.excluded.debit,
            "credit": model.credit + ins.excluded.credit,
        },
    )
    session.execute(stmt, rows)


def rebuild_daily_balances(session: Session, company_id: int) -> None:
    """Recompute the daily totals and the account totals of one company from its journal
    lines."""
    for model in (AccountDailyBalance, AccountBalance):
        session.execute(delete(model).where(model.company_id == company_id))
    debit = func.sum(case((JournalLine.amount > 0, JournalLine.amount), else_=0))
    credit = func.sum(case((JournalLine.amount < 0, -JournalLine.amount), else_=0))
    rows = session.execute(
        select(JournalLine.account_id, JournalLine.currency, JournalLine.date, debit, credit)
        .where(JournalLine.company_id == company_id)
        .group_by(JournalLine.account_id, JournalLine.currency, JournalLine.date)
    ).all()
    # Each day's debits and credits as two movements, so both tables are filled by one rule.
    add_to_daily_balances(
        session,
        company_id,
        (m for a, c, d, dr, cr in rows for m in ((a, c, d, int(dr)), (a, c, d, -int(cr)))),
    )


@event.listens_for(JournalEntry, "before_update")
@event.listens_for(JournalLine, "before_update")
def _refuse_edit(_mapper: Any, _conn: Any, target: Any) -> None:
    raise InvalidState(
        "Posted journal entries are immutable; post a reversing entry instead",
        code="posted_entry_immutable",
    )


@event.listens_for(JournalEntry, "before_delete")
@event.listens_for(JournalLine, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: Any) -> None:
    raise InvalidState(
        "Posted journal entries cannot be deleted; post a reversing entry instead",
        code="posted_entry_immutable",
    )
