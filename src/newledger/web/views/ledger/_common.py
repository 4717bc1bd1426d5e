"""Pieces the ledger pages share: query-string parsing, pagination, names for ids, and the
``money`` and ``source`` template filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.ledger.models import Account, BankAccount, Contact
from newledger.money import format_minor
from newledger.web.errors import MAX_DB_ID
from newledger.web.templating import templates

__all__ = [
    "PER_PAGE",
    "Pager",
    "account_names",
    "bank_names",
    "contact_names",
    "date_param",
    "int_param",
    "page_number",
    "pager",
    "source_text",
]

PER_PAGE = 50


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_minor(minor, currency)


def source_text(source: str, label: str) -> str:
    """Where a draft came from, in words: the app or connection by name, or the UI."""
    if source == "api":
        return f"API credential app · {label}" if label else "API credential app"
    if source == "mcp":
        return f"OAuth connection · {label}" if label else "OAuth connection"
    if source == "ui":
        return f"NewLedger UI · {label}" if label else "NewLedger UI"
    if source == "demo":
        return "Demo books"
    return f"Import · {label}" if label else "Import"


templates.env.filters.setdefault("money", _money)
templates.env.filters.setdefault("source_text", source_text)


# A page number whose OFFSET stays well inside a database integer.
MAX_PAGE = 1_000_000


def date_param(
    query: Mapping[str, str], name: str, errors: dict[str, str], default: dt.date | None = None
) -> dt.date | None:
    value = query.get(name, "").strip()
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "Use a date like 2025-01-31."
        return default


def int_param(query: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors[name] = "Pick one from the list."
        return None
    # An id no integer column holds would make the database driver fail (a 500): refuse it here.
    if not 1 <= number <= MAX_DB_ID:
        errors[name] = "Pick one from the list."
        return None
    return number


@dataclass(frozen=True)
class Pager:
    page: int
    prev_url: str | None
    next_url: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * PER_PAGE


def page_number(request: Request) -> int:
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        return 1
    # Bounded so the OFFSET stays within a 64-bit integer (beyond it the driver fails: a 500).
    return min(max(1, page), MAX_PAGE)


def pager(page: int, path: str, filters: Mapping[str, str], has_next: bool) -> Pager:
    query = {k: v for k, v in filters.items() if v}

    def url(n: int) -> str:
        return f"{path}?{urlencode({**query, 'page': n})}"

    return Pager(
        page=page,
        prev_url=url(page - 1) if page > 1 else None,
        next_url=url(page + 1) if has_next else None,
    )


def contact_names(session: Session, company_id: int, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.name).where(
            Contact.company_id == company_id, Contact.id.in_(wanted)
        )
    )
    return {row.id: row.name for row in rows}


def account_names(session: Session, company_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Account.id, Account.code, Account.name).where(Account.company_id == company_id)
    )
    return {row.id: f"{row.code} {row.name}" for row in rows}


def bank_names(session: Session, company_id: int) -> dict[int, str]:
    """Bank account names by bank account id (what payments name)."""
    rows = session.execute(
        select(BankAccount.id, BankAccount.name).where(BankAccount.company_id == company_id)
    )
    return {row.id: row.name for row in rows}
