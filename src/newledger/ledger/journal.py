"""Manual journal entries, and reading posted entries with their lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    company_for,
    parse_date,
    readable_row,
    require_poster,
)
from newledger.ledger.models import JournalEntry, JournalLine
from newledger.ledger.posting import LineSpec, post_entry
from newledger.money import format_minor, parse_amount, validate_currency
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "ENTRY_ORDERS",
    "EntryFilters",
    "create_manual_entry",
    "entry_dict",
    "get_entry",
    "list_entries",
]


def _line_spec(i: int, raw: Any, default_currency: str) -> LineSpec:
    if not isinstance(raw, dict):
        raise ValidationFailed(f"Line {i + 1} must be an object", errors={f"lines[{i}]": "invalid"})
    currency = validate_currency(raw.get("currency") or default_currency, f"lines[{i}].currency")
    debit, credit = raw.get("debit"), raw.get("credit")
    has_debit, has_credit = debit not in (None, ""), credit not in (None, "")
    if has_debit == has_credit:
        raise ValidationFailed(
            f"Line {i + 1} needs exactly one of debit or credit",
            errors={f"lines[{i}]": "exactly one of debit or credit"},
        )
    field = f"lines[{i}].debit" if has_debit else f"lines[{i}].credit"
    value: Any = debit if has_debit else credit
    amount = parse_amount(value, currency, field=field)
    if amount <= 0:
        raise ValidationFailed(f"Line {i + 1}: amounts must be positive", errors={field: "> 0"})
    account_id, contact_id = raw.get("account_id"), raw.get("contact_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationFailed(
            f"Line {i + 1} needs an account", errors={f"lines[{i}].account_id": "required"}
        )
    if contact_id is not None and (not isinstance(contact_id, int) or isinstance(contact_id, bool)):
        raise ValidationFailed(
            f"Line {i + 1}: bad contact", errors={f"lines[{i}].contact_id": "invalid"}
        )
    return LineSpec(
        account_id=account_id,
        amount=amount if has_debit else -amount,
        currency=currency,
        contact_id=contact_id,
        description=str(raw.get("description") or "")[:500],
    )


def create_manual_entry(
    session: Session,
    actor: Actor,
    *,
    date: dt.date | str,
    lines: list[dict[str, Any]],
    memo: str = "",
    currency: str | None = None,
    company_id: int | None = None,
) -> JournalEntry:
    """Post a manual journal entry. ``lines`` are ``{"account_id": int, "debit": "12.50"}`` or
    ``{"account_id": int, "credit": "12.50"}``, optionally with ``description``, ``contact_id``
    and ``currency`` (default: ``currency``, else the home currency). Debits and credits must
    balance per currency. Needs ``ledger:post`` (a person, never an app)."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    day = parse_date(date, "date")
    default_currency = validate_currency(currency or company.home_currency)
    if not isinstance(lines, list) or not lines:
        raise ValidationFailed("A journal entry needs lines", errors={"lines": "required"})
    specs = [_line_spec(i, raw, default_currency) for i, raw in enumerate(lines)]
    entry = post_entry(
        session,
        company_id=company.id,
        date=day,
        lines=specs,
        source_type="manual",
        memo=memo,
        posted_by_user_id=actor.user_id,
    )
    record(
        session,
        Event.JOURNAL_POSTED,
        actor,
        subject_type="journal_entry",
        subject_id=entry.id,
        details={"date": day.isoformat(), "lines": len(specs), "memo": memo[:200]},
    )
    return entry


def get_entry(
    session: Session, actor: Actor, entry_id: int, *, company_id: int | None = None
) -> JournalEntry:
    """One posted entry with its lines loaded. Needs ``journal:read``."""
    return readable_row(
        session,
        actor,
        Permission.JOURNAL_READ,
        JournalEntry,
        entry_id,
        company_id=company_id,
        options=[selectinload(JournalEntry.lines)],
    )


ENTRY_ORDERS: dict[str, Order] = {
    # Entries never change after posting: the order they were posted in.
    "changed": Order(JournalEntry.created_at, JournalEntry.id),
    "newest": Order(JournalEntry.date, JournalEntry.id, descending=True),
    # An account's ledger: in date order, so a running balance reads down the page.
    "dated": Order(JournalEntry.date, JournalEntry.id),
}


@dataclass(frozen=True, slots=True)
class EntryFilters:
    """Dates are inclusive; ``account_id`` keeps entries with a line on that account."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source_type: str | None = None
    account_id: int | None = None


_LISTING = Listing(
    select(JournalEntry).options(selectinload(JournalEntry.lines)),
    JournalEntry.company_id == bindparam("company_id"),
    JournalEntry.created_at,
    {
        "date_from": lambda v: JournalEntry.date >= v,
        "date_to": lambda v: JournalEntry.date <= v,
        "source_type": lambda v: JournalEntry.source_type == v,
        "account_id": lambda v: JournalEntry.id.in_(
            select(JournalLine.entry_id).where(
                JournalLine.company_id == bindparam("company_id"), JournalLine.account_id == v
            )
        ),
    },
    ENTRY_ORDERS,
    entities=True,
)


def list_entries(
    session: Session, actor: Actor, filters: EntryFilters, page: PageRequest
) -> Page[JournalEntry]:
    """One page of the company's posted entries, each with its lines loaded;
    ``updated_since`` is on the posting time. Needs ``journal:read``."""
    actor.require(Permission.JOURNAL_READ)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, filters, page)


def entry_dict(entry: JournalEntry) -> dict[str, Any]:
    """An entry as plain JSON-ready data, debit/credit as decimal strings."""
    return {
        "id": entry.id,
        "date": entry.date.isoformat(),
        "memo": entry.memo,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "reverses_entry_id": entry.reverses_entry_id,
        "lines": [
            {
                "account_id": ln.account_id,
                "contact_id": ln.contact_id,
                "currency": ln.currency,
                "debit": format_minor(ln.amount, ln.currency) if ln.amount > 0 else None,
                "credit": format_minor(-ln.amount, ln.currency) if ln.amount < 0 else None,
                "description": ln.description,
            }
            for ln in entry.lines
        ],
    }
